"""Label sets: how a text with several labels is written, decided and scored, in one place.

A multi-label dataset keeps each text's labels in its `label` column as one canonical string, a sorted JSON list
(`["angry", "billing"]`; `[]` for a text with none, a negative for every label). One string per row keeps
versions, duplicates, splits and predictions files working unchanged, and a JSON list round-trips any label name
(a name may hold a comma). Contenders are given the sets as Python lists and return one independent probability
per label; `decide` turns probabilities into predictions with each label's threshold, for every caller (Predict,
the API, the export, evaluation), so the threshold saved in a model means the same thing everywhere.
"""
from __future__ import annotations

import json

import numpy as np

DEFAULT_THRESHOLD = 0.5  # until thresholds are tuned on validation rows (core.train) or chosen on Evaluate


def encode(labels) -> str:
    """The canonical string of a label set: sorted, unique, JSON."""
    return json.dumps(sorted({str(x) for x in labels}), ensure_ascii=False)


def decode(value) -> list[str]:
    """A label set from its canonical string (or a list given as one)."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return sorted({str(x) for x in value})
    text = str(value).strip()
    if not text:
        return []
    parsed = json.loads(text) if text.startswith("[") else [text]
    return sorted({str(x) for x in parsed})


def is_encoded(value) -> bool:
    """Whether `value` is a canonical label-set string (a JSON list of strings)."""
    text = str(value).strip()
    if not (text.startswith("[") and text.endswith("]")):
        return False
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(parsed, list) and all(isinstance(x, str) for x in parsed)


def is_multi(labels) -> bool:
    """Whether training targets are label sets: lists given, or every value a canonical set string."""
    labels = list(labels)
    if not labels:
        return False
    if all(isinstance(y, (list, tuple, set)) for y in labels):
        return True
    return all(isinstance(y, str) and is_encoded(y) for y in labels)


def counts(values) -> dict[str, int]:
    """Texts per label: each set's labels counted once (for label sets), else texts per class; sorted by name."""
    values, out = list(values), {}
    multi = is_multi(values)
    for v in values:
        for label in (decode(v) if multi else [str(v)]):
            out[label] = out.get(label, 0) + 1
    return dict(sorted(out.items()))


def normal(label, multi: bool) -> str:
    """A label as a dataset stores it: for a multi-label dataset the canonical set (from a list, a canonical
    string or one label), else the label itself."""
    if not multi:
        return str(label)
    return encode(label) if isinstance(label, (list, tuple, set)) else encode(decode(label))


def matrix(sets, classes: list[str]) -> np.ndarray:
    """An (n texts x k labels) 0/1 matrix; a label outside `classes` is ignored."""
    index = {c: j for j, c in enumerate(classes)}
    y = np.zeros((len(sets), len(classes)), dtype=np.int8)
    for i, s in enumerate(sets):
        for label in decode(s):
            if label in index:
                y[i, index[label]] = 1
    return y


def thresholds_array(thresholds: dict | None, classes: list[str]) -> np.ndarray:
    return np.array([float((thresholds or {}).get(c, DEFAULT_THRESHOLD)) for c in classes])


def flags(proba: np.ndarray, classes: list[str], thresholds: dict | None) -> np.ndarray:
    """The 0/1 decisions of a multi-label model: each label's probability against its own threshold."""
    return (np.asarray(proba) >= thresholds_array(thresholds, classes)).astype(np.int8)


def decide(proba: np.ndarray, classes: list[str], multi_label: bool = False,
           thresholds: dict | None = None) -> list[str]:
    """Predictions as strings: the canonical label set of a multi-label model; otherwise the top class, or for a
    two-class model with a chosen threshold, the second (positive) class when its probability reaches it."""
    proba = np.asarray(proba, dtype=float)
    if multi_label:
        on = flags(proba, classes, thresholds)
        return [encode([c for c, f in zip(classes, row, strict=True) if f]) for row in on]
    if thresholds and len(classes) == 2 and classes[1] in thresholds:
        return [classes[1] if p >= thresholds[classes[1]] else classes[0] for p in proba[:, 1]]
    return [classes[i] for i in proba.argmax(1)]


def tune_thresholds(y: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict[str, float]:
    """Each label's threshold maximising its F1 on labelled rows (validation rows, not the test rows). Candidates
    are the midpoints between the sorted probabilities, so the best cut is found exactly; a label never positive
    there keeps the default."""
    out = {}
    for j, c in enumerate(classes):
        t = best_f1_threshold(y[:, j], proba[:, j])
        out[c] = DEFAULT_THRESHOLD if t is None else t
    return out


def best_f1_threshold(truth: np.ndarray, score: np.ndarray) -> float | None:
    truth, score = np.asarray(truth, dtype=bool), np.asarray(score, dtype=float)
    if not truth.any():
        return None
    order = np.argsort(-score)
    s, t = score[order], truth[order]
    tp = np.cumsum(t)
    fp = np.cumsum(~t)
    f1 = 2 * tp / (tp + fp + truth.sum())  # predicting the top i+1 rows positive
    last = np.r_[s[1:] != s[:-1], True]  # only cut between different scores
    i = int(np.argmax(np.where(last, f1, -1)))
    below = s[i + 1] if i + 1 < len(s) else 0.0
    return round(float((s[i] + below) / 2), 4)


def show(value, none: str = "(none)") -> str:
    """A label set for people: 'angry, billing', or `none` for the empty set."""
    if not (isinstance(value, (list, tuple)) or is_encoded(value)):
        return str(value)  # one label: as it is
    labels = decode(value)
    return ", ".join(labels) if labels else none
