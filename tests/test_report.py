"""core.report on run folders built without training: the summary sentences, the CSV,
and the HTML report escaping every user string."""
from __future__ import annotations

import html
import io
import re

import numpy as np
import pandas as pd
import pytest

from core.config import TrainConfig
from core.evaluate import evaluate
from core.predict import proba_frame
from core.report import build_dashboard, html_report, metrics_csv, summary_sentences
from core.runs import RunFolder

SCRIPT, IMG = "<script>alert(1)</script>", "<img src=x onerror=alert(2)>"
CLASSES = [f"ok {SCRIPT}", f"bad {IMG}"]


def make_run(root, name: str, model: str, right: list[bool]) -> RunFolder:
    """A finished run whose test predictions are right exactly where `right` says."""
    truth = [CLASSES[i % 2] for i in range(len(right))]
    texts = [f"text {i} {SCRIPT} and {IMG} and **bold** [link](http://example.com)" for i in range(len(right))]
    proba = np.array([[0.9, 0.1] if (t == CLASSES[0]) == r else [0.2, 0.8] for t, r in zip(truth, right, strict=False)])
    ev = evaluate(truth, proba, CLASSES, texts=texts)
    run = RunFolder(root / name).create(TrainConfig(model=model, name=name))
    frame = proba_frame(texts, proba, CLASSES)
    frame.insert(1, "label", truth)
    run.write_predictions(frame)
    run.write_metrics({"model": model, "name": name, "train_seconds": 1.0, "test": ev.to_dict()})
    return run


@pytest.fixture
def two_runs(tmp_path):
    rng = np.random.default_rng(0)
    good = make_run(tmp_path, f"strong {SCRIPT}", "finetune", list(rng.random(200) < 0.9))
    weak = make_run(tmp_path, "weak", "baseline", list(rng.random(200) < 0.6))
    return build_dashboard([good.path, weak.path])


def test_summary_recommends_the_significantly_better_run_then_says_where_it_fails(two_runs):
    first, second, third, fourth = summary_sentences(two_runs)
    best = next(r for r in two_runs.rows if r["name"].startswith("strong"))
    assert first.startswith(f"The {best['name']} is the sensible choice: the most accurate here")
    assert first.endswith("its lead over every other model is not luck.")  # 0.9 vs 0.6 on 200 shared rows
    lo, hi = best["ci"]["accuracy"]
    assert second == f"On new texts like these, expect it to be right {lo:.0%} to {hi:.0%} of the time (95% confidence interval)."
    assert third.startswith("It is most reliable on '") and "weakest on" in third
    assert "confidence scores" in fourth
    assert two_runs.tests[0]["sentence"].startswith(f"The {best['name']} is better than the weak")


def test_summary_with_nothing_finished(tmp_path):
    RunFolder(tmp_path / "r").create(TrainConfig())
    assert summary_sentences(build_dashboard([tmp_path / "r"])) == ["No finished runs to summarise yet."]


def test_metrics_csv_has_a_row_per_run_with_the_cis(two_runs):
    df = pd.read_csv(io.StringIO(metrics_csv(two_runs)))
    assert len(df) == 2 and set(df["kind"]) == {"finetune", "baseline"}
    assert (df["accuracy_ci_low"] <= df["accuracy"]).all() and (df["accuracy"] <= df["accuracy_ci_high"]).all()


def test_html_report_escapes_every_user_string(two_runs):
    page = html_report(two_runs, title=f"Report {IMG}")
    assert SCRIPT not in page and IMG not in page and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, in names and sentences
    assert page.count("<script") == page.count("</script>")  # only plotly's own script blocks
    for chunk in page.split("<script")[1:]:  # inside the figure data, user strings are JSON, '<' escaped
        assert "alert(1)</script>" not in chunk and "onerror=alert(2)>" not in chunk


def test_figures_show_user_strings_as_text_not_plotly_markup(two_runs):
    """Plotly renders <a href>, <span style>, <b> and <br> in any text: a class or run name must reach it escaped.
    The only tags left in a figure are the chart's own (hover line breaks, the hover box's <extra>)."""
    from core import charts
    from core.report import figures

    figs = list(figures(two_runs).values()) + [charts.probability_bars(CLASSES, [0.3, 0.7], "Probabilities"),
                                               charts.class_balance({c: 5 for c in CLASSES}),
                                               charts.training_curves({f"run {IMG}": [{"event": "step", "step": 1,
                                                                                       "loss": 0.5}]}),
                                               charts.learning_curves({"labels": [10], "curves": {f"set {IMG}": {
                                                   "uncertainty": [0.5], "random": [0.4]}}})]
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                yield from strings(v)

    for fig in figs:  # the figure as plotly.js gets it (its JSON writes '<' as \u003c, which would hide a tag)
        tags = {t for text in strings(fig.to_plotly_json()) for t in re.findall(r"</?([a-zA-Z]+)", text)}
        assert tags <= {"br", "extra"}, (fig.layout.title.text, tags)
    confusion = next(f for f in figs if "Confusion" in f.layout.title.text)
    assert list(confusion.data[0].x) == [html.escape(c, quote=False) for c in CLASSES]  # shown as typed


def test_the_chats_facts_carry_every_runs_numbers_and_the_recommendation(two_runs):
    from core.chat.grounded import result_facts

    facts = result_facts(two_runs)
    text = facts.text()
    for row in two_runs.rows:
        assert f"the {row['name']} {round(row['accuracy'] * row['n'])} ({row['accuracy']:.0%}; on new texts likely" in text
    assert text.count("Test texts right, of 200: ") == 1  # one sentence for every run: no repeated phrasing
    assert facts.topics["recommend"][0] == summary_sentences(two_runs)[0] and set(facts.names) == {
        r["name"] for r in two_runs.rows} | set(CLASSES)  # names said twice are no loop
    from core.chat.loops import loop_start

    assert loop_start(text, times=2, ignore=facts.names) is None  # Tunelab's own facts repeat no 8-gram


def test_runs_of_different_datasets_are_refused_in_one_sentence(tmp_path):
    from core.errors import DataError

    right = [True, False] * 10
    a, b = make_run(tmp_path, "a", "baseline", right), make_run(tmp_path, "b", "baseline", right)
    for run, data in ((a, "english.csv"), (b, "chinese.csv")):
        (run.path / "data_path.txt").write_text(str(tmp_path / data))
    with pytest.raises(DataError, match="different datasets"):
        build_dashboard([a.path, b.path])
    (b.path / "data_path.txt").write_text(str(tmp_path / "english.csv"))
    assert len(build_dashboard([a.path, b.path]).rows) == 2


@pytest.mark.slow
def test_report_explains_the_most_confident_mistakes_escaped(tmp_path, tiny_csv):
    from core.report import mistake_explanations
    from core.train import run_training

    rows = pd.concat([pd.read_csv(tiny_csv)] * 3, ignore_index=True)
    rows["text"] = [f"{SCRIPT} {t} {IMG} #{i}" for i, t in enumerate(rows["text"])]  # every mistake is hostile
    rotate = {"positive": "negative", "negative": "question", "question": "positive"}
    rows.loc[::5, "label"] = rows.loc[::5, "label"].map(rotate)  # label noise: the test split will hold mistakes
    rows.to_csv(tmp_path / "d.csv", index=False)
    run_training(TrainConfig(test_fraction=0.3), tmp_path / "d.csv", tmp_path / "run")
    dash = build_dashboard([tmp_path / "run"])
    explained = mistake_explanations(dash)
    items = next(iter(explained.values()))
    assert items and all(i["explanation"].target == i["pred"] and i["explanation"].method == "tfidf" for i in items)
    page = html_report(dash, explained=explained)
    assert "Why the models got these wrong" in page
    assert SCRIPT not in page and IMG not in page
    assert IMG in html.unescape(re.sub(r"<[^>]+>", "", page))  # shown to the reader, as text


def test_quality_against_cost_joins_the_best_trade_offs_only():
    from core import charts

    def row(name, accuracy, texts_per_s):
        return {"name": name, "accuracy": accuracy, "texts_per_s": texts_per_s, "ci": {"accuracy": (accuracy - .05,
                                                                                                  accuracy + .05)}}
    rows = [row("LLM", 0.9, 10), row("baseline", 0.8, 1000), row("slow and worse", 0.7, 100), row("old run", 0.95, None)]
    fig = charts.quality_and_cost(rows)
    frontier, points = fig.data
    assert list(frontier.x) == [1.0, 100.0] and list(frontier.y) == [0.8, 0.9]  # "slow and worse" is beaten twice
    assert list(points.text) == ["baseline", "slow and worse", "LLM"]  # the run with no measured speed is left out
    assert charts.quality_and_cost(rows[:1]) is None
