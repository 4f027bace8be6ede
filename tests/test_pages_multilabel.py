"""Texts with several labels through the pages (AppTest): the Data page finds them and the switch overrides it,
Evaluate shows the label-set numbers and a threshold saved with a name reaches Predict, and a correction from the
error explorer or Predict files a whole set in the dataset's queue."""
from __future__ import annotations

import pytest

from core import labelsets
from core.config import TrainConfig
from core.contenders.base import read_meta
from core.data import feedback
from core.data.cleaning import load_dataset
from core.data.datasets import MULTI_DEMOS, save_dataset
from core.jobs import JobRunner
from core.runs import RunFolder
from core.store import Store
from tests.test_pages import app, finish, no_errors
from tests.test_pages_loop import button, saved_and_trained, working_copy

DEMO = MULTI_DEMOS["en"][0]


def plain(markdown: str) -> str:
    """What the reader sees of escaped markdown (ui.safe.md puts a backslash before punctuation)."""
    return markdown.replace("\\", "")


@pytest.fixture(scope="module")
def multi_dir(tmp_path_factory):
    """The multi-label demo saved and a baseline trained on it, once a module."""
    return saved_and_trained(tmp_path_factory.mktemp("multi") / "data", DEMO, multi_label="yes")


@pytest.fixture
def multi(multi_dir, tmp_path, monkeypatch):
    return working_copy(multi_dir, tmp_path, monkeypatch)


@pytest.mark.usefixtures("data_dir")
def test_the_data_page_finds_several_labels_and_the_switch_overrides_it():
    at = app()
    at.segmented_control(key="data_source").set_value("demo").run()
    at.radio(key="demo_kind").set_value("several").run()
    button(at, "Use the demo dataset").click().run()
    no_errors(at)
    assert any("Several labels per text: 7 labels, 1.8 per text on average" in plain(i.value) for i in at.info)
    [switch] = [t for t in at.toggle if t.label == "Each text can have several labels"]
    assert switch.value is True
    switch.set_value(False).run()  # overridden: each cell is one label ("shipping; urgent" is a class of its own)
    no_errors(at)
    assert not any("Several labels per text" in plain(i.value) for i in at.info)


def test_evaluate_shows_label_sets_and_a_saved_threshold_reaches_predict(multi):
    store, dataset_id, run = multi
    at = app()
    at.switch_page("pages/evaluate.py").run()
    no_errors(at)
    assert any(s.value == "Thresholds" for s in at.subheader)
    assert any("labels the test texts really have" in plain(t.value) for t in list(at.text) + list(at.markdown))
    at.selectbox(key="threshold_label_" + run).set_value("urgent").run()
    [slider] = [s for s in at.slider if s.key.startswith(f"threshold_{run}_urgent")]
    slider.set_value(0.97).run()
    assert any(plain(m.value).startswith("At 0.97") for m in at.markdown)
    at.text_input[-1].input("Ada")
    button(at, "Save 0.97 into the model").click().run()
    no_errors(at)
    meta = read_meta(RunFolder(store.run_dir(run)).model_dir)
    assert meta["thresholds"]["urgent"] == 0.97 and meta["threshold_chosen"]["by"] == "Ada"
    at.switch_page("pages/predict.py").run()
    at.text_area[0].input("Urgent: I need this fixed today. The app crashes when I pay.").run()
    button(at, "Classify").click().run()
    no_errors(at)
    [metric] = at.metric
    assert "technical" in plain(metric.value)  # a set, shown as words, not as a JSON list
    assert "[" not in plain(metric.value)


def test_a_correction_from_predict_files_a_whole_set(multi):
    store, dataset_id, run = multi
    at = app()
    at.switch_page("pages/predict.py").run()
    at.text_area[0].input("The parcel is late and I am furious").run()
    button(at, "Classify").click().run()
    at.multiselect(key=f"correct-labels-{run}").set_value(["angry", "shipping"])
    button(at, "Add to the dataset's next version").click().run()
    no_errors(at)
    [item] = feedback.pending(store, dataset_id)
    assert labelsets.decode(item["label"]) == ["angry", "shipping"]


def test_the_label_page_and_the_review_take_label_sets(multi):
    store, dataset_id, run = multi
    from core.deploy.runtimes import load_for_inference
    from core.trust.active import rank_for_labelling

    at = app()
    at.switch_page("pages/label.py").run()
    texts = ["my invoice shows two charges and I am furious", "the parcel is late", "reset my password please"]
    at.session_state["to_label"] = (dataset_id, rank_for_labelling({"b": load_for_inference(store.run_dir(run))},
                                                                   texts, 3))
    at.run()
    no_errors(at)
    [table] = [d for d in at.dataframe if "uncertainty" in d.value.columns]
    assert "labels" in table.value.columns and not any("[" in s for s in table.value["models say"])
    at.switch_page("pages/data.py").run()
    no_errors(at)


def test_the_chinese_demo_with_several_labels_reads_and_evaluates_in_chinese(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from tests.test_pages_zh import english_left, visible_strings

    demo = MULTI_DEMOS["zh"][0]
    ds = load_dataset(demo)
    assert ds.report.multi_label["separator"] == "；，、" and "紧急" in ds.report.classes
    store = Store(tmp_path / "data")
    dataset_id = save_dataset(store, ds, demo.read_bytes(), demo.name)
    runner = JobRunner(store)
    runner.submit(TrainConfig(model="baseline", dataset_id=dataset_id, dataset_version=1, multi_label="yes"),
                  dataset_name=demo.name, lang="zh")
    finish(runner)
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/evaluate.py").run()
    no_errors(at)
    shown = visible_strings(at)
    assert any("微平均 F1" in s for s in shown) and any("同时出现的标签" in s for s in shown)
    left = {s: english_left(s.replace(demo.stem, "")) for s in shown if english_left(s.replace(demo.stem, ""))}
    assert not left, f"untranslated: {left}"  # the file's name is the user's, in runs' names


@pytest.mark.slow
def test_checking_a_multi_label_dataset_reviews_whole_sets(multi):
    store, dataset_id, run = multi
    at = app()
    at.switch_page("pages/data.py").run()
    button(at, "Check the labels of v1").click().run()
    finish(JobRunner(store))
    at.run()
    no_errors(at)
    assert any(s.value == "Review suspicious labels" for s in at.subheader)
    caption = next(c.value for c in at.caption if plain(c.value).startswith("Given:"))
    assert "[" not in plain(caption)  # sets in words
    button(at, "Accept ").click().run()  # the suggested set goes to the corrections queue
    no_errors(at)
    [item] = feedback.pending(store, dataset_id)
    assert labelsets.is_encoded(item["label"])
