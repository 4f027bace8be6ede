"""Which unlabelled texts to label next (active learning).

`rank_for_labelling(models, texts)` scores each text by how unsure the models are: the
margin between the top two classes (averaged over the models; a small margin means the
model hesitates), plus how much the models disagree (the share of models whose guess
differs from the majority). The most uncertain come first, with each model's guess.
Measured on the shared datasets in benchmarks/active_learning.py.
"""
from __future__ import annotations

from collections import Counter

import numpy as np


def margins(proba: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 probability per row (0: a coin toss between two classes)."""
    top = np.sort(np.asarray(proba), axis=1)
    return top[:, -1] - top[:, -2] if top.shape[1] > 1 else np.ones(len(top))


def rank_for_labelling(models: dict[str, object], texts: list[str], n: int | None = None) -> list[dict]:
    """[{"row", "text", "uncertainty", "guesses": {name: label}}], most uncertain first.
    uncertainty = 1 - mean margin, plus the share of models that disagree with the majority."""
    if not models:
        raise ValueError("rank_for_labelling needs at least one model")
    guesses, margin_sum = {}, np.zeros(len(texts))
    for name, model in models.items():
        proba = np.asarray(model.predict_proba(texts))
        guesses[name] = [model.classes_[i] for i in proba.argmax(1)]
        margin_sum += margins(proba)
    uncertainty = 1 - margin_sum / len(models)
    if len(models) > 1:
        for i in range(len(texts)):
            votes = Counter(g[i] for g in guesses.values())
            uncertainty[i] += 1 - votes.most_common(1)[0][1] / len(models)
    order = np.argsort(-uncertainty, kind="stable")[:n]
    return [{"row": int(i), "text": texts[i], "uncertainty": round(float(uncertainty[i]), 4),
             "guesses": {name: g[i] for name, g in guesses.items()}} for i in order]
