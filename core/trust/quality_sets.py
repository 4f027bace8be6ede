"""Suspicious label sets: a label added or left out by mistake, found the way core.trust.quality finds a wrong
label, with cleanlab's multi-label mode. Each label's out-of-fold probability comes from one-vs-rest TF-IDF and
(when asked) sentence-embedding models that never saw the text, averaged (core.trust.quality.out_of_fold_proba); `find_label_issues(...,
multi_label=True)` ranks the sets that disagree most, and each issue says which labels look added or missing.
"""
from __future__ import annotations

import numpy as np

from core import labelsets


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
