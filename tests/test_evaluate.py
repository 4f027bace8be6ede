"""core.evaluate agrees with scikit-learn, and the statistics behave."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score

from core.evaluate import bootstrap_ci, calibration, evaluate, mcnemar, mcnemar_sentence


def _data(seed=0, n=300, k=3):
    rng = np.random.default_rng(seed)
    classes = ["ant", "bee", "cat"][:k]
    truth = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 2.0 * np.eye(k)[truth]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return [classes[i] for i in truth], proba, classes


def test_metrics_match_sklearn():
    y, proba, classes = _data()
    pred = [classes[i] for i in proba.argmax(1)]
    ev = evaluate(y, proba, classes, texts=[f"t{i}" for i in range(len(y))])
    assert ev.accuracy == accuracy_score(y, pred)
    assert ev.macro_f1 == f1_score(y, pred, average="macro")
    assert ev.weighted_f1 == f1_score(y, pred, average="weighted")
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=classes)
    assert [c["f1"] for c in ev.per_class] == list(f) and [c["support"] for c in ev.per_class] == list(s)
    assert ev.confusion == confusion_matrix(y, pred, labels=classes).tolist()
    assert abs(ev.roc["bee"]["auc"] - roc_auc_score([v == "bee" for v in y], proba[:, 1])) < 1e-12
    assert ev.ci["accuracy"][0] < ev.accuracy < ev.ci["accuracy"][1]
    assert len(ev.errors) == sum(t != p for t, p in zip(y, pred, strict=False))
    assert ev.errors == sorted(ev.errors, key=lambda e: -e["confidence"])


def test_bootstrap_ci_narrows_with_more_rows():
    y, proba, classes = _data(n=2000)
    pred = [classes[i] for i in proba.argmax(1)]
    wide = bootstrap_ci(y[:100], pred[:100], classes)["macro_f1"]
    narrow = bootstrap_ci(y, pred, classes)["macro_f1"]
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_calibration_ece():
    y = ["a", "b"] * 50
    perfect = np.array([[1.0, 0.0], [0.0, 1.0]] * 50)
    assert calibration(y, perfect, ["a", "b"])["ece"] == 0.0
    overconfident = np.array([[0.99, 0.01]] * 100)  # always says 'a' at 99%, right half the time
    assert abs(calibration(y, overconfident, ["a", "b"])["ece"] - 0.49) < 1e-9


def test_mcnemar_exact_and_chi2():
    truth = ["x"] * 40
    a = ["x"] * 30 + ["y"] * 10
    b = ["x"] * 20 + ["y"] * 20
    res = mcnemar(truth, a, b)  # a alone right on 10 rows, b alone on 0: exact test
    assert res["only_a_right"] == 10 and res["only_b_right"] == 0 and res["method"] == "exact"
    assert abs(res["p_value"] - 2 * 0.5 ** 10) < 1e-12
    big = mcnemar(["x"] * 100, ["x"] * 60 + ["y"] * 40, ["y"] * 60 + ["x"] * 40)
    assert big["method"] == "chi2" and abs(big["statistic"] - (19 ** 2) / 100) < 1e-12
    assert "not luck" in mcnemar_sentence("fine-tuned", "baseline", res, 0.75, 0.5)
    assert "could be luck" in mcnemar_sentence("a", "b", mcnemar(truth, a, a[:-1] + ["x"]), 0.75, 0.77)
