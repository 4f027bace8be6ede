"""Which unlabelled texts to label next (active learning).

`rank_for_labelling(models, texts)` scores each text by how unsure the models are: the
margin between the top two classes (averaged over the models; a small margin means the
model hesitates), plus how much the models disagree (the share of models whose guess
differs from the majority). The most uncertain come first, with each model's guess.

With `vectors`, a batch is picked for uncertainty *and* variety: the most uncertain few hundred are clustered
(k-means, one cluster per text wanted) and the most uncertain text of each cluster is taken, so a batch is not
twenty near-copies of one confusing ticket. `first_to_label` starts with no model at all: the text nearest the
centre of each of n clusters, so every kind of text is seen early. `text_vectors` are cheap vectors of any language
(TF-IDF of character n-grams reduced to 100 dimensions): a second for 2,000 texts, no model to load.
Measured on the shared datasets in benchmarks/active_learning.py.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from core import labelsets


def margins(proba: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 probability per row (0: a coin toss between two classes)."""
    top = np.sort(np.asarray(proba), axis=1)
    return top[:, -1] - top[:, -2] if top.shape[1] > 1 else np.ones(len(top))


def threshold_margins(proba: np.ndarray, model) -> np.ndarray:
    """For a multi-label model: how far the label closest to its threshold is from it, on a 0-1 scale (0: some
    label is a coin toss; the text worth labelling is the one whose set is least sure)."""
    t = labelsets.thresholds_array(model.thresholds_, list(model.classes_))
    room = np.where(proba >= t, 1 - t, t)  # the distance to the far end, so both sides scale to 1
    return (np.abs(proba - t) / np.maximum(room, 1e-6)).min(1)


POOL_PER_PICK, MIN_POOL = 4, 200  # variety: cluster the 4n (at least 200) most uncertain texts into n groups


def rank_for_labelling(models: dict[str, object], texts: list[str], n: int | None = None,
                       vectors: np.ndarray | None = None, seed: int = 0) -> list[dict]:
    """[{"row", "text", "uncertainty", "guesses": {name: label}}], most uncertain first.
    uncertainty = 1 - mean margin, plus the share of models that disagree with the majority.
    With `vectors` (one row a text) and `n`, the n are picked for variety among the most uncertain."""
    if not models:
        raise ValueError("rank_for_labelling needs at least one model")
    guesses, margin_sum = {}, np.zeros(len(texts))
    for name, model in models.items():
        proba = np.asarray(model.predict_proba(texts))
        guesses[name] = model.decide(proba) if hasattr(model, "decide") else \
            [model.classes_[i] for i in proba.argmax(1)]
        margin_sum += threshold_margins(proba, model) if getattr(model, "multi_label_", False) else margins(proba)
    uncertainty = 1 - margin_sum / len(models)
    if len(models) > 1:
        for i in range(len(texts)):
            votes = Counter(g[i] for g in guesses.values())
            uncertainty[i] += 1 - votes.most_common(1)[0][1] / len(models)
    order = np.argsort(-uncertainty, kind="stable")
    if vectors is not None and n and len(texts) > n:
        pool = order[:max(POOL_PER_PICK * n, MIN_POOL)]
        picked = _one_per_cluster(np.asarray(vectors)[pool], n, seed, prefer=uncertainty[pool])
        order = pool[picked][np.argsort(-uncertainty[pool[picked]], kind="stable")]
    order = order[:n]
    return [{"row": int(i), "text": texts[i], "uncertainty": round(float(uncertainty[i]), 4),
             "guesses": {name: g[i] for name, g in guesses.items()}} for i in order]


def first_to_label(texts: list[str], n: int, vectors: np.ndarray | None = None, seed: int = 0) -> list[dict]:
    """With no model yet: n texts that cover the kinds there are (the one nearest each of n k-means centres), in
    the ranking's shape (uncertainty 1, no guesses)."""
    vectors = text_vectors(texts) if vectors is None else np.asarray(vectors)
    picked = _one_per_cluster(vectors, min(n, len(texts)), seed) if len(texts) > n else np.arange(len(texts))
    return [{"row": int(i), "text": texts[i], "uncertainty": 1.0, "guesses": {}} for i in picked]


def _one_per_cluster(vectors: np.ndarray, n: int, seed: int, prefer: np.ndarray | None = None) -> np.ndarray:
    """Indices of n rows, one per k-means cluster: the one with the highest `prefer` (else the nearest the centre)."""
    from sklearn.cluster import KMeans  # put off: loads scipy, sklearn (~1.3 s)

    km = KMeans(n_clusters=n, random_state=seed, n_init=1).fit(vectors)
    out = []
    for c in range(n):
        members = np.flatnonzero(km.labels_ == c)
        if not len(members):
            continue
        score = prefer[members] if prefer is not None else -np.linalg.norm(vectors[members] - km.cluster_centers_[c], axis=1)
        out.append(members[int(np.argmax(score))])
    return np.array(sorted(out), dtype=int)


def text_vectors(texts: list[str], dims: int = 100, seed: int = 0) -> np.ndarray:
    """Character 2-4-gram TF-IDF reduced by truncated SVD and scaled to unit length: similar texts near each other,
    in any language and script, without a model."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2 if len(texts) > 50 else 1,
                        sublinear_tf=True).fit_transform(texts)
    k = max(1, min(dims, x.shape[1] - 1, len(texts) - 1))
    reduced = TruncatedSVD(n_components=k, random_state=seed).fit_transform(x) if k > 1 else x.toarray()
    return reduced / np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-9)
