"""The one classifier contract every contender follows, and what they share.

scikit-learn style: parameters in `__init__`, then
`fit(texts, labels, *, on_progress=None, should_stop=None) -> self`, `predict`,
`predict_proba`, `classes_`, `save(dir)` and `Kind.load(dir)`. A saved model
folder holds `tunelab.json` (kind, classes, parameters) beside safetensors
weights, so `registry.load_classifier(dir)` can rebuild any contender without pickle.

Stopping: every contender calls `check_stop(should_stop)` between units of work.
It raises `FitStopped`; a contender with something worth keeping (the fine-tune
after its first step) catches it, sets `stopped_ = True` and returns; one with
nothing yet lets it propagate, and the run ends 'cancelled' without a model.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from core import labelsets
from core.errors import DataError
from core.trust.explain import Explanation, explain_with, occlusion

META_FILE = "tunelab.json"
ProgressFn = Callable[[dict], None] | None
StopFn = Callable[[], bool] | None


class FitStopped(Exception):
    """`should_stop()` said stop before the contender had anything worth keeping."""


def check_stop(should_stop: StopFn) -> None:
    """Raise FitStopped when the caller asked to stop (the app's Cancel, SIGTERM in the CLI)."""
    if should_stop is not None and should_stop():
        raise FitStopped("stopped")


class ClassifierMixin:
    """`predict` from `predict_proba`, and the metadata file, for every contender."""

    kind = "abstract"
    classes_: list[str]
    # Optional fields every contender exposes (training code reads them without getattr):
    history_: tuple | list = ()  # validation events, for contenders that validate while training
    best_step_: int | None = None  # the step whose weights were kept (early stopping)
    stopped_: bool = False  # fit returned early because should_stop() said so
    explain_method = "occlusion"  # the name of how `word_weights` weighs words, shown beside every explanation
    # Texts with several labels: fit was given label sets, predict_proba returns one independent probability per
    # label, and each label is predicted when its probability reaches its threshold (core.labelsets).
    multi_label_: bool = False
    thresholds_: dict | None = None  # label -> threshold; for two classes, the positive (second) class's only
    threshold_chosen_: dict | None = None  # {"by", "at", "how"}: who set the thresholds, when, and how

    @classmethod
    def from_config(cls, config) -> "ClassifierMixin":
        """An unfitted instance from a TrainConfig: every `__init__` parameter that the config
        has a (non-None) field of the same name for. Override where a setting needs translating."""
        params = {p: getattr(config, p) for p in cls._param_names() if getattr(config, p, None) is not None}
        return cls(**params)

    def predict(self, texts: Iterable[str]) -> list:
        """The top class of each text; for a multi-label model, each text's label set (a sorted list)."""
        decided = self.decide(self.predict_proba(list(texts)))
        return [labelsets.decode(d) for d in decided] if self.multi_label_ else decided

    def decide(self, proba: np.ndarray) -> list[str]:
        """Predictions as strings (canonical label sets for multi-label), with this model's thresholds."""
        return labelsets.decide(proba, list(self.classes_), self.multi_label_, self.thresholds_)

    def restore_decisions(self, meta: dict) -> None:
        """Read back what `_write_meta` saved about deciding (registry.load_classifier calls this for every kind)."""
        self.multi_label_ = bool(meta.get("multi_label", False))
        self.thresholds_ = meta.get("thresholds")
        self.threshold_chosen_ = meta.get("threshold_chosen")

    def predict_proba(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def explain(self, text: str, target: str | None = None) -> Explanation:
        """Why the model says what it says about `text`: a weight per word for `target` (default: the prediction)."""
        return explain_with(self, text, target, self.word_weights, self.explain_method)

    def word_weights(self, text: str, spans: list[tuple[str, int, int]], target: int):
        """(a weight per word of `spans`, completeness gap or None). Occlusion works for any contender; one that
        can do better (exact, or from gradients) overrides this in its own module and names it in `explain_method`."""
        return occlusion(self, text, spans, target)

    def external_mb(self) -> float:
        """Megabytes the saved model needs but does not hold (an LLM's weights, referenced by name): counted in the
        scorecard's size, so it says what deploying the model takes."""
        return 0.0

    def usage(self) -> dict | None:
        """Running totals of what labelling cost, for contenders that pay per token (the LLMs: texts, tokens_in,
        tokens_out, cpu_s, coarse); None for the rest, whose cost is their speed."""
        return None

    def get_params(self) -> dict:
        """Constructor parameters, as scikit-learn's estimators report them."""
        return {k: getattr(self, k) for k in self._param_names()}

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def _write_meta(self, path: Path, **extra) -> None:
        path.mkdir(parents=True, exist_ok=True)
        meta = {"kind": self.kind, "classes": list(self.classes_), "params": self.get_params(),
                "multi_label": self.multi_label_, "thresholds": self.thresholds_,
                "threshold_chosen": self.threshold_chosen_, **extra}
        (path / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def read_meta(path: str | Path) -> dict:
    """The `tunelab.json` of a saved model folder, or a DataError saying what is missing."""
    meta_path = Path(path) / META_FILE
    if not meta_path.is_file():
        raise DataError("'{path}' is not a Tunelab model folder (it has no {file}); train a model first.", path=path,
                        file=META_FILE)
    return json.loads(meta_path.read_text(encoding="utf-8"))


def check_fit_inputs(texts, labels) -> tuple[list[str], list, list[str]]:
    """Texts as str, labels as str (or, for texts with several labels, each text's sorted list), sorted class
    names; refuses one class."""
    from core.data.cleaning import require_two_classes  # put off: loads pandas (~0.4 s)

    texts, labels = [str(t) for t in texts], list(labels)
    if len(texts) != len(labels):
        raise DataError("There are {texts} texts but {labels} labels; each text needs exactly one label.",
                        texts=len(texts), labels=len(labels))
    if labelsets.is_multi(labels):
        sets = [labelsets.decode(y) for y in labels]
        classes = sorted({x for s in sets for x in s})
        require_two_classes(classes)
        return texts, sets, classes
    labels = [str(y) for y in labels]
    require_two_classes(labels)
    return texts, labels, sorted(set(labels))


def is_sets(labels) -> bool:
    """Whether `check_fit_inputs` returned label sets."""
    return bool(labels) and isinstance(labels[0], list)


def linear_proba(features, coef: np.ndarray, intercept: np.ndarray, multi_label: bool = False) -> np.ndarray:
    """Class probabilities of a (multinomial or binary) logistic regression, or for `multi_label` one
    independent probability per label (one-vs-rest). Done in numpy from saved weights, so a loaded model needs no
    pickled sklearn object."""
    scores = np.asarray(features @ coef.T) + intercept
    if multi_label:
        return 1.0 / (1.0 + np.exp(-np.clip(scores, -50, 50)))
    if coef.shape[0] == 1:  # binary: sklearn keeps one row of weights for the positive class
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1 - p, p])
    scores -= scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def fit_logistic(features, labels: list[str], classes: list[str], C: float, seed: int,
                 max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Fit scikit-learn's LogisticRegression and return (coef, intercept) in `classes` order."""
    from sklearn.linear_model import LogisticRegression  # put off: loads pandas, scipy, sklearn (~1.3 s)

    if is_sets(labels):
        return _fit_one_vs_rest(features, labelsets.matrix(labels, classes), C, seed, max_iter)
    lr = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    lr.fit(features, labels)
    assert list(lr.classes_) == classes  # sklearn sorts classes the same way we do
    return lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32)


def _fit_one_vs_rest(features, y: np.ndarray, C: float, seed: int, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """One binary logistic regression per label (the TF-IDF baseline takes ~2 s a label on GoEmotions' 43k texts).
    A label on every training text, or on none, gets a constant: its share, as a logit."""
    from sklearn.linear_model import LogisticRegression  # put off: loads pandas, scipy, sklearn (~1.3 s)

    coef, intercept = np.zeros((y.shape[1], features.shape[1]), np.float32), np.zeros(y.shape[1], np.float32)
    for j in range(y.shape[1]):
        share = float(y[:, j].mean())
        if share in (0.0, 1.0):
            intercept[j] = 12.0 if share else -12.0
            continue
        lr = LogisticRegression(C=C, max_iter=max_iter, random_state=seed).fit(features, y[:, j])
        coef[j], intercept[j] = lr.coef_[0], lr.intercept_[0]
    return coef, intercept


def save_tensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file  # put off: loads safetensors (~0.1 s)

    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))


def load_tensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file  # put off: loads safetensors (~0.1 s)

    return load_file(str(path))
