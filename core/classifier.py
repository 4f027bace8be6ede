"""The one classifier contract every contender follows, and what they share.

scikit-learn style: parameters in `__init__`, then
`fit(texts, labels, *, on_progress=None, should_stop=None) -> self`, `predict`,
`predict_proba`, `classes_`, `save(dir)` and `Kind.load(dir)`. A saved model
folder holds `tunelab.json` (kind, classes, parameters) beside safetensors
weights, so `load_classifier(dir)` can rebuild any contender without pickle.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from core.errors import DataError

META_FILE = "tunelab.json"
ProgressFn = Callable[[dict], None] | None
StopFn = Callable[[], bool] | None


class ClassifierMixin:
    """`predict` from `predict_proba`, and the metadata file, for every contender."""

    kind = "abstract"
    classes_: list[str]

    def predict(self, texts: Iterable[str]) -> list[str]:
        proba = self.predict_proba(list(texts))
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def predict_proba(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def get_params(self) -> dict:
        """Constructor parameters, as scikit-learn's estimators report them."""
        return {k: getattr(self, k) for k in self._param_names()}

    @classmethod
    def _param_names(cls) -> list[str]:
        import inspect

        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def _write_meta(self, path: Path, **extra) -> None:
        path.mkdir(parents=True, exist_ok=True)
        meta = {"kind": self.kind, "classes": list(self.classes_), "params": self.get_params(), **extra}
        (path / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def read_meta(path: str | Path) -> dict:
    """The `tunelab.json` of a saved model folder, or a DataError saying what is missing."""
    meta_path = Path(path) / META_FILE
    if not meta_path.is_file():
        raise DataError(f"'{path}' is not a Tunelab model folder (it has no {META_FILE}); train a model first.")
    return json.loads(meta_path.read_text(encoding="utf-8"))


def load_classifier(path: str | Path):
    """Load any saved contender from its folder, dispatching on its kind."""
    kind = read_meta(path)["kind"]
    if kind == "baseline":
        from core.baseline import TfidfClassifier as cls
    elif kind == "embeddings":
        from core.embeddings import EmbeddingClassifier as cls
    elif kind == "finetune":
        from core.finetune import FineTuneClassifier as cls
    else:
        raise DataError(f"'{path}' holds a model of unknown kind '{kind}'.")
    return cls.load(path)


def check_fit_inputs(texts, labels) -> tuple[list[str], list[str], list[str]]:
    """Texts and labels as lists of str, sorted class names; refuses one class."""
    from core.prepare import require_two_classes

    texts, labels = [str(t) for t in texts], [str(y) for y in labels]
    if len(texts) != len(labels):
        raise DataError(f"There are {len(texts)} texts but {len(labels)} labels; each text needs exactly one label.")
    require_two_classes(labels)
    return texts, labels, sorted(set(labels))


def linear_proba(features, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Class probabilities of a (multinomial or binary) logistic regression.
    Done in numpy from saved weights, so a loaded model needs no pickled sklearn object."""
    scores = np.asarray(features @ coef.T) + intercept
    if coef.shape[0] == 1:  # binary: sklearn keeps one row of weights for the positive class
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1 - p, p])
    scores -= scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def fit_logistic(features, labels: list[str], classes: list[str], C: float, seed: int,
                 max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Fit scikit-learn's LogisticRegression and return (coef, intercept) in `classes` order."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    lr.fit(features, labels)
    assert list(lr.classes_) == classes  # sklearn sorts classes the same way we do
    return lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32)


def save_tensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))


def load_tensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))
