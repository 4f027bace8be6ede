"""core.recommend: the cheapest run not significantly below the best, on constructed ties and non-ties."""
from __future__ import annotations

import numpy as np

from core.recommend import recommend
from core.report import build_dashboard, summary_sentences
from tests.test_report import make_run


def row(run: str, acc: float, seconds: float, texts_per_s: float | None = None, n: int = 80) -> dict:
    return {"run": run, "name": run, "accuracy": acc, "macro_f1": acc, "seconds": seconds,
            "texts_per_s": texts_per_s, "n": n}


def preds_with(truth: list[str], wrong: set[int]) -> list[str]:
    return ["x" if i in wrong else t for i, t in enumerate(truth)]


TRUTH = ["a", "b"] * 40  # 80 test rows


def test_a_tie_recommends_the_cheaper_run_and_says_why():
    """The Quick demo's case: baseline and embeddings both 72 right (different rows), the baseline 5x faster."""
    preds = {"emb": preds_with(TRUTH, {0, 1, 2, 3, 4, 5, 6, 7}), "base": preds_with(TRUTH, {8, 9, 10, 11, 12, 13, 14, 15}),
             "ft": preds_with(TRUTH, set(range(20, 30)))}
    rows = [row("emb", 72 / 80, 10.0), row("base", 72 / 80, 2.0), row("ft", 70 / 80, 134.0)]
    rec = recommend(rows, preds, TRUTH)
    assert rec["run"] == "base" and rec["best"] == "emb" and set(rec["level"]) == {"emb", "base", "ft"}
    assert rec["sentence"] == ("The base is the sensible choice: as accurate as the emb on these 80 test texts "
                               "(72 right each) and 5 times faster to train.")
    assert len(rec["tests"]) == 2 and all(t["a"] == "base" for t in rec["tests"])
    assert not any("a little higher" in t["sentence"] for t in rec["tests"] if "emb" in (t["a"], t["b"]))


def test_equal_scores_never_read_as_a_little_higher():
    preds = {"a": preds_with(TRUTH, {0, 1, 2}), "b": preds_with(TRUTH, {3, 4, 5})}
    rec = recommend([row("a", 77 / 80, 5.0), row("b", 77 / 80, 1.0)], preds, TRUTH)
    (test,) = rec["tests"]
    assert "same number of rows right" in test["sentence"] and "higher" not in test["sentence"]


def test_a_significantly_better_run_wins_however_slow():
    preds = {"slow": preds_with(TRUTH, {0}), "fast": preds_with(TRUTH, set(range(0, 40)))}
    rec = recommend([row("slow", 79 / 80, 500.0, 10.0), row("fast", 40 / 80, 1.0, 5000.0)], preds, TRUTH)
    assert rec["run"] == "slow"
    assert "its lead over every other model is not luck" in rec["sentence"]


def test_level_but_cheaper_at_labelling_is_named_with_the_p_value():
    preds = {"big": preds_with(TRUTH, {0, 1}), "small": preds_with(TRUTH, {0, 1, 2, 3})}
    rec = recommend([row("big", 78 / 80, 60.0, 20.0), row("small", 76 / 80, 50.0, 3000.0)], preds, TRUTH)
    assert rec["run"] == "small"
    assert "level with the most accurate, the big" in rec["sentence"] and "150 times faster at labelling" in rec["sentence"]


def test_one_run_has_no_comparison_language():
    rec = recommend([row("only", 0.9, 1.0)], {}, [])
    assert rec["sentence"] == "The only gets 72 of the 80 test texts right (90%)."
    assert not rec["tests"]


def test_runs_on_different_rows_are_not_called_level():
    rec = recommend([row("a", 0.9, 10.0), row("b", 0.8, 1.0)], {}, [])
    assert rec["run"] == "a" and "different rows" in rec["sentence"]


def test_the_summary_leads_with_the_recommendation(tmp_path):
    rng = np.random.default_rng(0)
    right = list(rng.random(200) < 0.8)
    a = make_run(tmp_path, "slow twin", "finetune", right)
    b = make_run(tmp_path, "fast twin", "baseline", right)
    for run, seconds in ((a, 100.0), (b, 2.0)):
        m = run.metrics()
        run.write_metrics({**m, "train_seconds": seconds})
    dash = build_dashboard([a.path, b.path])
    first = summary_sentences(dash)[0]
    assert first.startswith("The fast twin is the sensible choice: as accurate as the slow twin") and "50 times" in first
    assert dash.tests[0]["sentence"].startswith("fast twin and slow twin got exactly the same rows right")


def test_a_tie_won_by_the_cheapest_still_says_it_is_level_and_cheaper():
    """Tiny data: baseline and embeddings both 6 of 6; the baseline, first and cheapest, is also 'the best'."""
    preds = {"base": list(TRUTH), "emb": list(TRUTH)}
    rec = recommend([row("base", 1.0, 1.0, 2238.5), row("emb", 1.0, 4.5, 248.6)], preds, TRUTH)
    assert rec["run"] == "base"
    assert rec["sentence"] == ("The base is the sensible choice: as accurate as the emb on these 80 test texts "
                               "(80 right each) and 9 times faster at labelling texts.")
