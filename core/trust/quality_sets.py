"""Suspicious label sets: a label added or left out by mistake, found the way core.trust.quality finds a wrong
label, with cleanlab's multi-label mode. Each label's out-of-fold probability comes from one-vs-rest TF-IDF and
(when asked) sentence-embedding models that never saw the text, averaged; `find_label_issues(...,
multi_label=True)` ranks the sets that disagree most, and each issue says which labels look added or missing.
"""
from __future__ import annotations

import numpy as np

from core import labelsets
from core.contenders.base import check_stop, fit_logistic, linear_proba

FOLDS = 5  # as core.trust.quality: every text scored by models trained on the other 80%


def out_of_fold_sets(texts: list[str], sets: list[list[str]], classes: list[str], *, use_embeddings: bool,
                     seed: int, step, should_stop=None) -> np.ndarray:
    """Each text's per-label probabilities from models that never saw it (KFold: label sets do not stratify)."""
    from sklearn.model_selection import KFold  # put off: loads scipy, sklearn (~1.5 s)

    from core.contenders.baseline import TfidfClassifier  # put off: loads scipy (~0.3 s)

    folds = list(KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(texts))
    tfidf = np.zeros((len(texts), len(classes)))
    for train, held in folds:
        check_stop(should_stop)
        model = TfidfClassifier(seed=seed).fit([texts[i] for i in train], [sets[i] for i in train])
        tfidf[np.ix_(held, [classes.index(c) for c in model.classes_])] = model.predict_proba([texts[i] for i in held])
        step()
    if not use_embeddings:
        return tfidf
    from core.contenders.embeddings import SentenceEncoder  # put off: loads torch, transformers (~3 s)

    features = SentenceEncoder().encode(texts, should_stop=should_stop)
    step()
    emb = np.zeros_like(tfidf)
    for train, held in folds:
        check_stop(should_stop)
        coef, intercept = fit_logistic(features[train], [sets[i] for i in train], classes, C=10.0, seed=seed)
        emb[held] = linear_proba(features[held], coef, intercept, multi_label=True)
        step()
    return (tfidf + emb) / 2


def set_issues(texts: list[str], sets: list[list[str]], classes: list[str], proba: np.ndarray,
               rows: np.ndarray) -> list[dict]:
    """cleanlab's multi-label issues, worst first: given and suggested sets, the labels that look added by
    mistake ("extra") and left out ("missing"), and cleanlab's quality score."""
    from cleanlab.filter import find_label_issues  # put off: loads cleanlab (~3.9 s)
    from cleanlab.multilabel_classification import get_label_quality_scores

    ids = [[classes.index(x) for x in s] for s in sets]
    ranked = find_label_issues(ids, proba, multi_label=True, filter_by="both",
                               return_indices_ranked_by="self_confidence", n_jobs=1)
    scores = get_label_quality_scores(ids, proba)
    out = []
    for i in ranked:
        suggested = [c for j, c in enumerate(classes) if proba[i, j] >= labelsets.DEFAULT_THRESHOLD]
        out.append({"row": int(rows[i]), "text": texts[i], "given": labelsets.encode(sets[i]),
                    "suggested": labelsets.encode(suggested), "extra": [c for c in sets[i] if c not in suggested],
                    "missing": [c for c in suggested if c not in sets[i]],
                    "confidence": round(float(np.abs(proba[i] - 0.5).max() + 0.5), 4),
                    "score": round(float(scores[i]), 4)})
    return out
