"""Pages through streamlit.testing.v1.AppTest: render, golden path, refusals, chat."""
from __future__ import annotations

import html
import os
import re
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import TrainConfig
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT, tiny_frame

PAGES = ["pages/data.py", "pages/train.py", "pages/evaluate.py", "pages/label.py", "pages/predict.py", "pages/chat.py",
         "pages/glossary.py"]


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def finish(runner: JobRunner, timeout: float = 180) -> None:
    end = time.time() + timeout
    while time.time() < end:
        runner.poll()
        if not runner.store.jobs(("queued", "running")):
            return
        time.sleep(0.5)
    raise AssertionError("jobs did not finish")


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    """A data dir holding two finished runs (baseline and embeddings) on the same split, made once a
    module: the tests that use it only read it (~8 s of training each time otherwise)."""
    root = tmp_path_factory.mktemp("trained")
    csv = root / "tiny.csv"
    tiny_frame().to_csv(csv, index=False)
    runner = JobRunner(Store(root / "data"))
    ids = [runner.submit(TrainConfig(model=m, name=m), csv) for m in ("baseline", "embeddings")]
    finish(runner)
    assert all(runner.store.get_job(i).status == "done" for i in ids)
    return root / "data", ids


@pytest.fixture
def trained(trained_dir, monkeypatch):
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(trained_dir[0]))
    return trained_dir[1]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.usefixtures("data_dir")
def test_every_page_renders_on_an_empty_data_dir(page):
    at = app()
    # the shared sidebar (AppTest keeps it only on the first run, before switch_page)
    sidebar = [c.value for c in at.sidebar.caption]
    assert sidebar[0].startswith("Device: ") and sidebar[1] == "Jobs: 0 running, 0 queued"
    at.switch_page(page).run()
    no_errors(at)


@pytest.mark.usefixtures("trained")
def test_every_page_renders_with_existing_runs():
    at = app()
    for page in PAGES:
        at.switch_page(page).run()
        no_errors(at)
    at.switch_page("pages/evaluate.py").run()
    assert len(at.dataframe) >= 2 and len(at.text) >= 3  # metrics table + error explorer; summary sentences


def test_golden_path_demo_to_baseline_to_evaluation(data_dir):
    at = app()
    at.segmented_control(key="data_source").set_value("demo").run()
    next(b for b in at.button if b.label == "Use the demo dataset").click().run()
    no_errors(at)
    assert any("760" in m.value for m in at.markdown)
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert at.success and "Saved 760 rows" in at.success[0].value
    at.switch_page("pages/train.py").run()
    no_errors(at)
    for box in at.checkbox:
        if box.label.startswith(("Sentence", "Fine-tuned")):
            box.uncheck()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert "Queued 1 run" in at.success[0].value
    finish(JobRunner(Store(data_dir)))
    at.switch_page("pages/evaluate.py").run()
    no_errors(at)
    (recommendation,) = [s.value for s in at.success]
    assert recommendation.startswith("The TF\\-IDF baseline") and "gets 7" in recommendation  # one run: no comparison
    assert [t.value for t in at.text][0].startswith("On new texts like these, expect it to be right")
    card = at.dataframe[0].value
    assert card["contender"].iloc[0].startswith("★ TF-IDF baseline") and card["accuracy"].iloc[0] > 0.8
    assert card["texts/s"].iloc[0] > 0 and card["ms per text (p50)"].iloc[0] > 0 and card["size (MB)"].iloc[0] > 0


def test_a_newly_saved_dataset_becomes_the_current_one_everywhere(data_dir):
    """Item 4 of the trust issue: with the English demo saved, saving the Chinese one left "Your datasets" and Train
    on the English one."""
    at = app()
    for language in ("en", "zh"):
        at.segmented_control(key="data_source").set_value("demo").run()
        at.radio(key="demo_lang").set_value(language).run()
        next(b for b in at.button if b.label == "Use the demo dataset").click().run()
        next(b for b in at.button if b.label.startswith("Save")).click().run()
        no_errors(at)
        names = {d["id"]: d["name"] for d in Store(data_dir).datasets()}
        assert names[at.selectbox(key="data_pick").value] == f"demo_tickets{'_zh' if language == 'zh' else ''}.csv"
        assert not [b for b in at.button if b.label.startswith("Save")]  # the saved file's preview is gone
    at.switch_page("pages/train.py").run()
    assert at.selectbox[0].value == at.session_state["dataset_id"] and "demo_tickets_zh" in at.selectbox[0].format_func(
        at.selectbox[0].value)


@pytest.mark.usefixtures("data_dir")
def test_bad_upload_shows_one_sentence_and_nothing_crashes():
    at = app()
    at.file_uploader[0].set_value(("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(300), "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1 and "PNG image" in at.error[0].value


@pytest.mark.usefixtures("data_dir")
def test_an_upload_does_not_linger_after_a_source_switch_or_a_visit_elsewhere():
    csv = b"text,label\nwhere is my parcel,shipping\nrefund me please,billing\nmy card was charged twice,billing\n"
    at = app()
    at.file_uploader[0].set_value(("mine.csv", csv, "text/csv")).run()
    assert any(b.label.startswith("Save") for b in at.button)
    at.segmented_control(key="data_source").set_value("demo").run()  # another source: the file's preview and Save go
    assert not any(b.label.startswith("Save") for b in at.button)
    at.segmented_control(key="data_source").set_value(None).run()  # clicking the chosen source again deselects it
    assert at.file_uploader  # the uploader is still there
    at.file_uploader[0].set_value(("mine.csv", csv, "text/csv")).run()
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/data.py").run()  # a later visit starts clean
    assert not any(b.label.startswith("Save") for b in at.button)


@pytest.mark.usefixtures("data_dir")
def test_script_in_a_cell_is_shown_as_text():
    csv = b"text,label\n<script>alert(1)</script> hello there friend,a\nplain words here,b\nmore plain words,a\n"
    at = app()
    at.file_uploader[0].set_value(("x.csv", csv, "text/csv")).run()
    no_errors(at)
    assert not any("<script>" in m.value for m in at.markdown)  # only ever inside dataframes, as data


@pytest.mark.usefixtures("trained")
def test_predict_a_text_with_each_model():
    at = app().switch_page("pages/predict.py").run()
    at.text_area[0].input("absolutely fantastic, I love it").run()
    next(b for b in at.button if b.label == "Classify").click().run()
    no_errors(at)
    assert [m.value for m in at.metric] == ["positive", "positive"]


@pytest.mark.usefixtures("trained")
def test_chat_streams_an_answer_and_explains_results():
    at = app().switch_page("pages/chat.py").run()
    at.slider[0].set_value(0.0)
    at.slider[2].set_value(24)
    at.chat_input[0].set_value("Say hello in three words.").run()
    no_errors(at)
    assistant = [m for m in at.chat_message if m.name == "assistant"]
    assert assistant and assistant[0].markdown[0].value.strip()
    assert any("tokens/s" in c.value for c in assistant[0].caption)  # (a cut answer's note comes first)
    assert "too small to be relied on" in at.info[0].value  # the page says which model answers, before asking
    next(b for b in at.button if b.label == "Explain my results").click().run()
    no_errors(at)
    users = [m for m in at.chat_message if m.name == "user"]
    assert users[-1].text[0].value == "Explain my results"  # what the user asked, not the prompt behind it
    said = [m for m in at.chat_message if m.name == "assistant"][-1]
    answer = said.markdown[0].value.replace("\\", "")
    # the embedded 135M model never writes the explanation: Tunelab does, from the facts
    assert "is the sensible choice" in answer and "expect it to be right" not in answer
    assert "Test texts right, of " in answer and "Written by Tunelab" in said.caption[0].value
    at.chat_input[0].set_value("What is macro-F1?").run()
    said = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert said.markdown[0].value.replace("\\", "").startswith("Macro-F1: the F1 score of each class, averaged")


def test_chat_badges_each_message_with_the_chosen_classifier(trained):
    at = app().switch_page("pages/chat.py").run()
    at.slider[2].set_value(16)
    at.selectbox[0].set_value(trained[0]).run()
    at.chat_input[0].set_value("terrible, it broke at once").run()
    no_errors(at)
    user = [m for m in at.chat_message if m.name == "user"][0]
    badge = user.markdown[0].value  # st.badge renders as a markdown badge
    assert "negative" in badge and "%" in badge


@pytest.mark.usefixtures("data_dir")
def test_hub_dataset_offline_is_one_clear_sentence(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on this machine and CI: no Hub
    at = app()
    at.segmented_control(key="data_source").set_value("hub").run()
    at.text_input[0].input("imdb")
    next(b for b in at.button if b.label == "Load from the Hub").click().run()
    assert not at.exception and len(at.error) == 1
    assert "needs the Hugging Face Hub" in at.error[0].value and "imdb" in at.error[0].value


@pytest.mark.slow
def test_a_big_file_is_classified_as_a_job_with_a_download(trained):
    rows = "\n".join(f"great product number {i}, works perfectly and I love it" for i in range(6000))
    data = ("text\n" + rows + "\n").encode()
    assert len(data) > 256 * 1024
    at = app().switch_page("pages/predict.py").run()
    at.file_uploader[0].set_value(("big.csv", data, "text/csv")).run()
    no_errors(at)
    next(b for b in at.button if b.label == "Classify the whole file").click().run()
    no_errors(at)
    store = Store(os.environ["TUNELAB_DATA_DIR"])
    job = store.jobs(job_type="predict")[0]
    assert job.name.startswith("Classify big.csv with ")
    finish(JobRunner(store))
    assert store.get_job(job.id).status == "done", store.get_job(job.id).error
    at.run()
    no_errors(at)
    assert any(b.label == "Download the labelled file (CSV)" for b in at.get("download_button"))
    labelled = pd.read_csv(JobRunner(store).folder(job.id).labelled_path)
    assert len(labelled) == 6000 and (labelled["pred"] == "positive").mean() > 0.9
    assert [j.id for j in store.jobs(("done",), job_type="train")] == trained[::-1]  # not a model to pick


@pytest.mark.slow
def test_rename_a_run_and_see_the_new_name_everywhere(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    job_id = runner.submit(TrainConfig(), tiny_csv, dataset_name="reviews.csv")
    finish(runner)
    at = app().switch_page("pages/evaluate.py").run()
    assert at.multiselect[0].format_func(job_id).startswith("TF-IDF baseline · reviews · ")
    at.text_input[0].input("Support triage v1")
    next(b for b in at.button if b.label == "Rename").click().run()
    no_errors(at)
    assert at.multiselect[0].format_func(job_id) == "Support triage v1"
    assert at.success[0].value.startswith("The Support triage v1 gets")  # the summary: a rename is shown as given
    at.switch_page("pages/predict.py").run()
    assert at.multiselect[0].format_func(job_id) == "Support triage v1"
    assert runner.folder(job_id).name == "Support triage v1"  # the report and the CLI read the folder


@pytest.mark.usefixtures("trained")
def test_predict_explains_each_model_and_keeps_hostile_text_as_text():
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)> **fantastic** [x](http://h/) love it"
    at = app().switch_page("pages/predict.py").run()
    at.text_area[0].input(hostile).run()
    next(b for b in at.button if b.label == "Classify").click().run()
    no_errors(at)
    shown = [e.proto.body for e in at.get("html")]
    assert len(shown) == 2  # one highlighted text per model
    for body in shown:
        assert "<script" not in body and "<img" not in body and 'title="+' in body  # weights on hover
        assert html.unescape(re.sub(r"<[^>]+>", "", body)) == hostile  # what a reader sees is exactly the text
    sentences = [t.value for t in at.text if t.value.startswith("Weighed most for 'positive'")]
    assert len(sentences) == 2 and '"love" (for)' in sentences[0]
