"""Measure classifiers: plain numbers and lists, JSON-serialisable.

`evaluate(y_true, proba, classes, texts)` returns an `Evaluation`; `mcnemar`
compares two contenders on the same rows. `core.charts` draws these, and the
HTML report uses the same figures, so page and report never differ. The point
metrics come from scikit-learn so they agree with it exactly.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from core import labelsets
from core.evaluate_sets import N_BOOTSTRAP, curves, evaluate_sets, interval, paired_bootstrap, reliability
from core.i18n import translator


@dataclass
class Evaluation:
    """Every number the dashboards need for one contender on one labelled set."""

    n: int
    classes: list[str]
    accuracy: float
    macro_f1: float
    weighted_f1: float
    ci: dict[str, list[float]]
    per_class: list[dict]
    confusion: list[list[int]]
    roc: dict[str, dict]
    pr: dict[str, dict]
    calibration: dict
    errors: list[dict] = field(default_factory=list)
    multi: dict = field(default_factory=dict)  # texts with several labels: core.evaluate_sets

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate(y_true, proba: np.ndarray, classes: list[str], texts=None, max_errors: int = 500,
             seed: int = 0, multi_label: bool = False, thresholds: dict | None = None) -> Evaluation:
    """Score class probabilities `proba` (rows x classes, columns in `classes` order); with `multi_label`, each
    label's probability against label sets (core.evaluate_sets). `thresholds`: the model's own (core.labelsets)."""
    # put off: loads pandas, scipy, sklearn (~1.8 s)
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    if multi_label:
        return Evaluation(**evaluate_sets(y_true, proba, classes, thresholds, texts, max_errors, seed))
    y_true = [str(v) for v in y_true]
    proba = np.asarray(proba, dtype=float)
    pred = labelsets.decide(proba, classes, False, thresholds)
    one_hot = np.array([[v == c for c in classes] for v in y_true], dtype=np.int8).reshape(len(y_true), len(classes))
    labels = list(classes) + sorted(set(y_true) - set(classes))  # a test label the model never saw counts as wrong
    p, r, f, s = precision_recall_fscore_support(y_true, pred, labels=labels, zero_division=0)
    per_class = [{"label": c, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, c in enumerate(labels)]
    return Evaluation(
        n=len(y_true), classes=labels, accuracy=float(accuracy_score(y_true, pred)),
        macro_f1=float(f1_score(y_true, pred, labels=labels, average="macro", zero_division=0)),
        weighted_f1=float(f1_score(y_true, pred, labels=labels, average="weighted", zero_division=0)),
        ci=bootstrap_ci(y_true, pred, labels, seed=seed), per_class=per_class,
        confusion=confusion_matrix(y_true, pred, labels=labels).tolist(),
        roc=curves(one_hot, proba, classes, "roc"), pr=curves(one_hot, proba, classes, "pr"),
        calibration=calibration(y_true, proba, classes),
        errors=_errors(y_true, pred, proba, texts, max_errors) if texts is not None else [])


def bootstrap_ci(y_true: list[str], y_pred: list[str], labels: list[str], n_boot: int = N_BOOTSTRAP,
                 seed: int = 0) -> dict[str, list[float]]:
    """95% percentile-bootstrap intervals for accuracy and macro-F1 (resampling rows)."""
    index = {c: i for i, c in enumerate(labels)}
    t = np.array([index[v] for v in y_true])
    pr = np.array([index.get(v, 0) for v in y_pred])
    k, n = len(labels), len(t)
    if n == 0:
        return {"accuracy": [0.0, 0.0], "macro_f1": [0.0, 0.0]}
    rng = np.random.default_rng(seed)
    accs, f1s = np.empty(n_boot), np.empty(n_boot)
    for b in range(n_boot):
        i = rng.integers(0, n, n)
        cm = np.bincount(t[i] * k + pr[i], minlength=k * k).reshape(k, k)
        tp = np.diag(cm)
        accs[b] = tp.sum() / n
        denom = cm.sum(0) + cm.sum(1)  # 2tp + fp + fn
        present = cm.sum(1) + cm.sum(0) > 0  # sklearn's macro-F1 counts labels seen in truth or prediction
        f1s[b] = np.mean(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)[present]) if present.any() else 0.0
    return {"accuracy": interval(accs), "macro_f1": interval(f1s)}


def calibration(y_true, proba: np.ndarray, classes: list[str], bins: int = 10) -> dict:
    """Expected calibration error of the top-class confidence, and the reliability curve."""
    correct = np.array([classes[i] == t for i, t in zip(proba.argmax(1), y_true, strict=False)], dtype=float)
    return reliability(proba.max(1), correct, bins)


def _errors(y_true, pred, proba, texts, limit: int) -> list[dict]:
    """Misclassified rows, most confident mistakes first (those are the surprising ones)."""
    conf = proba.max(1)
    wrong = [i for i, (t, p) in enumerate(zip(y_true, pred, strict=False)) if t != p]
    wrong.sort(key=lambda i: -conf[i])
    texts = list(texts)
    return [{"text": str(texts[i]), "true": y_true[i], "pred": pred[i], "confidence": round(float(conf[i]), 4)}
            for i in wrong[:limit]]


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """McNemar's test on paired predictions: exact binomial when discordant pairs
    are few (< 25), chi-squared with continuity correction otherwise. For label sets (canonical strings), a
    paired bootstrap of micro-F1 (core.evaluate_sets), in the same shape."""
    from scipy.stats import binomtest, chi2  # put off: loads scipy (~1.2 s)

    if len(y_true) and labelsets.is_encoded(y_true[0]):  # label sets: the paired bootstrap of micro-F1
        return paired_bootstrap(y_true, pred_a, pred_b)
    a = np.array([p == t for p, t in zip(pred_a, y_true, strict=False)])
    b = np.array([p == t for p, t in zip(pred_b, y_true, strict=False)])
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    n = only_a + only_b
    if n == 0:
        return {"only_a_right": 0, "only_b_right": 0, "statistic": 0.0, "p_value": 1.0, "method": "none"}
    if n < 25:
        return {"only_a_right": only_a, "only_b_right": only_b, "statistic": float(min(only_a, only_b)),
                "p_value": float(binomtest(only_a, n, 0.5).pvalue), "method": "exact"}
    stat = (abs(only_a - only_b) - 1) ** 2 / n
    return {"only_a_right": only_a, "only_b_right": only_b, "statistic": float(stat),
            "p_value": float(chi2.sf(stat, 1)), "method": "chi2"}


def mcnemar_sentence(name_a: str, name_b: str, test: dict, acc_a: float, acc_b: float, lang: str = "en") -> str:
    """McNemar's result in plain words (in `lang`), for the dashboard and the stakeholder summary."""
    _, p = translator(lang), test["p_value"]
    if test["method"] == "none":
        return _("{a} and {b} got exactly the same rows right, so neither is better.", a=name_a, b=name_b)
    if acc_a == acc_b:  # same count right on different rows: "a little higher" would be false
        return _("{a} and {b} got the same number of rows right (different ones), so neither is better "
                 "(p = {p:.2g}).", a=name_a, b=name_b, p=p)
    better, worse = (name_a, name_b) if acc_a > acc_b else (name_b, name_a)
    if p < 0.05:
        return _("The {better} is better than the {worse} and the gap is not luck (p = {p:.3g}).",
                 better=better, worse=worse, p=p)
    return _("The {better} scored a little higher than the {worse}, but on this many rows the gap could be luck "
             "(p = {p:.2g}); treat them as equal.", better=better, worse=worse, p=p)
