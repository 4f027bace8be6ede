"""Measure a model that gives texts several labels: the same `Evaluation` the dashboards read, filled for sets.

`accuracy` is subset accuracy (a text counts as right when every one of its labels is, the strict reading),
`macro_f1` and `weighted_f1` average the per-label F1, and `multi` adds micro-F1, Hamming loss, the thresholds
used and the labels' co-occurrence. Per-label precision, recall and F1 carry 95% bootstrap intervals; the point
values come from scikit-learn, so they agree with it exactly. `paired_bootstrap` is the significance test for
two such models on the same rows: a paired bootstrap of the micro-F1 difference.
"""
from __future__ import annotations

import numpy as np

from core import labelsets

N_BOOTSTRAP = 1000  # 1000 resamples put the CI ends within ~0.005 of their limit on 1k rows
CURVE_POINTS = 200  # enough for a smooth ROC line; keeps metrics.json small
CHUNK = 100  # bootstrap resamples drawn at once: 100 x 5,000 rows of indices is 4 MB


def interval(values) -> list[float]:
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def thin(*arrays, points: int = CURVE_POINTS):
    idx = np.unique(np.linspace(0, len(arrays[0]) - 1, min(points, len(arrays[0]))).astype(int))
    return [np.asarray(a)[idx].round(5).tolist() for a in arrays]


def evaluate_sets(y_true, proba: np.ndarray, classes: list[str], thresholds: dict | None = None, texts=None,
                  max_errors: int = 500, seed: int = 0) -> dict:
    """Score per-label probabilities `proba` (rows x labels, in `classes` order) against label sets `y_true`:
    the fields of a core.evaluate.Evaluation (which builds it; this module stays below it)."""
    from sklearn.metrics import f1_score, hamming_loss, precision_recall_fscore_support  # put off: ~1.8 s

    proba = np.asarray(proba, dtype=float)
    truth, pred = labelsets.matrix(y_true, classes), labelsets.flags(proba, classes, thresholds)
    p, r, f, s = precision_recall_fscore_support(truth, pred, zero_division=0)
    ci = _bootstrap(truth, pred, seed)
    per_class = [{"label": c, "precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j]),
                  "ci": {k: ci["per_label"][k][j] for k in ("precision", "recall", "f1")}}
                 for j, c in enumerate(classes)]
    tp, given, real = int((truth & pred).sum()), int(pred.sum()), int(truth.sum())
    multi = {"micro_f1": float(f1_score(truth, pred, average="micro", zero_division=0)),
             "micro_precision": tp / given if given else 0.0, "micro_recall": tp / real if real else 0.0,
             "hamming_loss": float(hamming_loss(truth, pred)),
             "thresholds": {c: float(t) for c, t in zip(classes, labelsets.thresholds_array(thresholds, classes),
                                                         strict=True)},
             "cooccurrence": (truth.T.astype(int) @ truth.astype(int)).tolist(),
             "labels_per_text": {"true": round(float(truth.sum(1).mean()), 3), "pred": round(float(pred.sum(1).mean()), 3)}}
    return dict(
        n=len(truth), classes=list(classes), accuracy=float((truth == pred).all(1).mean()) if len(truth) else 0.0,
        macro_f1=float(f1_score(truth, pred, average="macro", zero_division=0)),
        weighted_f1=float(f1_score(truth, pred, average="weighted", zero_division=0)),
        ci={k: ci[k] for k in ("accuracy", "macro_f1", "micro_f1")}, per_class=per_class, confusion=[],
        roc=curves(truth, proba, classes, "roc"), pr=curves(truth, proba, classes, "pr"),
        calibration=_calibration(truth, proba), multi=multi,
        errors=_errors(truth, pred, proba, classes, texts, max_errors) if texts is not None else [])


def _counts(truth: np.ndarray, pred: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per resample (rows: resamples x n indices) and label: true positives, false positives, false negatives."""
    tp, fp, fn = truth & pred, (1 - truth) & pred, truth & (1 - pred)
    return tuple(np.stack([m[:, j][rows].sum(1) for j in range(truth.shape[1])], 1) for m in (tp, fp, fn))


def _bootstrap(truth: np.ndarray, pred: np.ndarray, seed: int, n_boot: int = N_BOOTSTRAP) -> dict:
    """95% percentile-bootstrap intervals (resampling texts) for subset accuracy, macro- and micro-F1 and each
    label's precision, recall and F1."""
    n, k = truth.shape
    if n == 0:
        zero = [0.0, 0.0]
        return {"accuracy": zero, "macro_f1": zero, "micro_f1": zero,
                "per_label": {m: [zero] * k for m in ("precision", "recall", "f1")}}
    rng, exact = np.random.default_rng(seed), (truth == pred).all(1)
    acc, macro, micro, prec, rec, f1 = [], [], [], [], [], []
    for start in range(0, n_boot, CHUNK):
        rows = rng.integers(0, n, (min(CHUNK, n_boot - start), n))
        tp, fp, fn = _counts(truth, pred, rows)
        f = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
        present = (tp + fp + fn) > 0  # scikit-learn's macro-F1 with zero_division=0 counts every label
        acc.append(exact[rows].mean(1))
        macro.append(f.mean(1) if present.any() else np.zeros(len(rows)))
        micro.append(2 * tp.sum(1) / np.maximum(2 * tp.sum(1) + fp.sum(1) + fn.sum(1), 1))
        prec.append(np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0))
        rec.append(np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0))
        f1.append(f)
    per_label = {name: [interval(col) for col in np.concatenate(vals).T]
                 for name, vals in (("precision", prec), ("recall", rec), ("f1", f1))}
    return {"accuracy": interval(np.concatenate(acc)), "macro_f1": interval(np.concatenate(macro)),
            "micro_f1": interval(np.concatenate(micro)), "per_label": per_label}


def curves(truth: np.ndarray, proba: np.ndarray, classes: list[str], kind: str) -> dict[str, dict]:
    """Each label's (or class's, one-hot) ROC or precision-recall curve, one against the rest; a label present on
    every test text, or on none, has none. Both evaluations draw their curves here."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    out = {}
    for j, c in enumerate(classes):
        positive = truth[:, j].astype(bool)
        if not 0 < positive.sum() < len(positive):
            continue
        if kind == "roc":
            fpr, tpr, _ = roc_curve(positive, proba[:, j])
            fpr, tpr = thin(fpr, tpr)
            out[c] = {"fpr": fpr, "tpr": tpr, "auc": float(roc_auc_score(positive, proba[:, j]))}
        else:
            precision, recall, _ = precision_recall_curve(positive, proba[:, j])
            precision, recall = thin(precision, recall)
            out[c] = {"precision": precision, "recall": recall,
                      "ap": float(average_precision_score(positive, proba[:, j]))}
    return out


def _calibration(truth: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict:
    """Reliability of every label's probability: of the labels given 0.7, are 70% really there?"""
    return reliability(proba.ravel(), truth.ravel().astype(float), bins)


def reliability(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error and the reliability curve: confidences in `bins` equal-width bins, each bin's
    mean confidence against how often it was right."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    curve, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            acc, avg = float(correct[m].mean()), float(conf[m].mean())
            ece += m.mean() * abs(acc - avg)
            curve.append({"confidence": round(avg, 4), "accuracy": round(acc, 4), "count": int(m.sum())})
    return {"ece": float(ece), "bins": curve}


def _errors(truth, pred, proba, classes, texts, limit: int) -> list[dict]:
    """Texts whose predicted set differs: the labels missed and the labels added, most confident mistakes first
    (confidence: how far the worst wrong decision was from its threshold's side, as a probability)."""
    texts, out = list(texts), []
    wrong = np.flatnonzero((truth != pred).any(1))
    sure = np.where(truth != pred, np.abs(proba - 0.5) + 0.5, 0.0).max(1)
    for i in sorted(wrong, key=lambda i: -sure[i])[:limit]:
        true_set = [c for c, v in zip(classes, truth[i], strict=True) if v]
        pred_set = [c for c, v in zip(classes, pred[i], strict=True) if v]
        out.append({"text": str(texts[i]), "true": labelsets.encode(true_set), "pred": labelsets.encode(pred_set),
                    "missed": [c for c in true_set if c not in pred_set],
                    "extra": [c for c in pred_set if c not in true_set], "confidence": round(float(sure[i]), 4)})
    return out


def paired_bootstrap(y_true, pred_a, pred_b, n_boot: int = N_BOOTSTRAP, seed: int = 0) -> dict:
    """Two multi-label models on the same texts: a paired bootstrap of micro-F1(a) - micro-F1(b). The p-value is
    twice the share of resamples on the far side of zero (two-sided), at least 1 / n_boot."""
    classes = sorted({x for v in list(y_true) + list(pred_a) + list(pred_b) for x in labelsets.decode(v)})
    truth = labelsets.matrix(y_true, classes)
    a, b = labelsets.matrix(pred_a, classes), labelsets.matrix(pred_b, classes)
    right_a, right_b = (truth == a).all(1), (truth == b).all(1)
    counts = {"only_a_right": int((right_a & ~right_b).sum()), "only_b_right": int((~right_a & right_b).sum())}
    if len(truth) == 0 or (a == b).all():
        return counts | {"statistic": 0.0, "p_value": 1.0, "method": "none"}
    rng, diffs = np.random.default_rng(seed), []
    for start in range(0, n_boot, CHUNK):
        rows = rng.integers(0, len(truth), (min(CHUNK, n_boot - start), len(truth)))
        scores = []
        for m in (a, b):
            tp, fp, fn = (c.sum(1) for c in _counts(truth, m, rows))
            scores.append(2 * tp / np.maximum(2 * tp + fp + fn, 1))
        diffs.append(scores[0] - scores[1])
    diffs = np.concatenate(diffs)
    observed = diffs.mean()
    far = np.mean(diffs <= 0) if observed > 0 else np.mean(diffs >= 0)
    return counts | {"statistic": float(observed), "p_value": float(min(1.0, max(2 * far, 1 / n_boot))),
                     "method": "bootstrap"}
