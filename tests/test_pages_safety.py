"""Pages as a crowd and an attacker would use them: Markdown from one user never renders
for another, a read-only data folder is one sentence while the pages that can work do,
and the queue view shows every active job."""
from __future__ import annotations

import subprocess
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.config import TrainConfig
from core.data.cleaning import load_dataset
from core.data.datasets import DEMO_PATH, save_dataset
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT
from tests.test_pages import PAGES, finish

IMG = "![c](http://127.0.0.1:9/x.png)"
LINK = "[click](http://127.0.0.1:9/y)"


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def shown(at: AppTest) -> list[str]:
    """Every string the page handed to Streamlit's Markdown renderer."""
    out = [e.value for kind in ("markdown", "caption", "error", "warning", "success", "info", "subheader", "title")
           for e in getattr(at, kind)]
    return out + [m.label for m in at.metric] + [m.value for m in at.metric]


def no_markup(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    live = [v for v in shown(at) if "![" in v or "](" in v]
    assert not live, live


def add_demo(store: Store) -> None:
    save_dataset(store, load_dataset(DEMO_PATH), DEMO_PATH.read_bytes(), "demo.csv")


@pytest.mark.slow
def test_a_failed_jobs_error_with_markdown_is_text_for_everyone(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    add_demo(runner.store)
    runner.submit(TrainConfig(model="finetune", checkpoint=f"./{IMG}"), tiny_csv, dataset_name=LINK)
    finish(runner)
    at = app().switch_page("pages/train.py").run()
    no_markup(at)
    assert any("is not a model folder" in e.value for e in at.error)  # the error is shown, as text


@pytest.mark.slow
def test_class_labels_and_file_names_with_markdown_stay_text(data_dir, tiny_df):
    df = tiny_df.replace({"positive": IMG, "negative": LINK})
    df.loc[len(df)] = ["one lonely row", f"tiny {IMG}"]  # a class under 3 rows: named in a warning
    csv = df.to_csv(index=False).encode()
    at = app()
    at.file_uploader[0].set_value((f"{IMG}.csv", csv, "text/csv")).run()
    no_markup(at)
    assert any("fewer than 3 examples" in w.value for w in at.warning)
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    at.switch_page("pages/train.py").run()
    for box in at.checkbox:  # the baseline alone: SetFit, ticked for a class this small, took ~50 s of this test
        if box.label.startswith(("Sentence", "Fine-tuned", "SetFit")):
            box.uncheck()
    next(b for b in at.button if b.label == "Start training").click().run()
    finish(JobRunner(Store(data_dir)))
    at.switch_page("pages/predict.py").run()
    at.text_area[0].input("great product, works perfectly").run()
    next(b for b in at.button if b.label == "Classify").click().run()
    no_markup(at)
    assert at.metric and "c" in at.metric[0].value  # the label is there, escaped
    at.switch_page("pages/evaluate.py").run()
    no_markup(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_read_only_data_folder_is_one_sentence_and_chat_still_works(page, monkeypatch):
    monkeypatch.setenv("TUNELAB_DATA_DIR", "/sys/tunelab-test")  # read-only, even for root
    sentence = r"\/sys\/tunelab\-test is read\-only"  # as escaped for Markdown
    at = app()
    assert any(sentence in c.value for c in at.caption)  # the sidebar says it on every page
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    if page in ("pages/train.py", "pages/evaluate.py", "pages/label.py", "pages/predict.py"):
        assert len(at.error) == 1 and sentence in at.error[0].value
    elif page == "pages/chat.py":  # a warning; the embedded model still answers
        assert at.chat_input and not at.error and sentence in at.warning[0].value
    else:  # uploading and inspecting a file needs no data folder; the folder's sentence is said once
        assert not at.error and sum(sentence in w.value for w in at.warning) == (page == "pages/data.py")


def test_queue_view_shows_every_active_job(data_dir):
    store = Store(data_dir)
    sleeper = subprocess.Popen(["sleep", "120"])  # an alive "worker" for nine jobs
    try:
        for i in range(9):
            job_id = f"20260101-0000{i:02d}-abcdef"
            store.add_job(job_id, f"job {i}", "baseline", None, {})
            store.update_job(job_id, status="running", pid=sleeper.pid, started=time.time())
        add_demo(store)
        at = app()
        assert "Jobs: 9 running, 0 queued" in [c.value for c in at.sidebar.caption]  # the sidebar counts every active job
        at.switch_page("pages/train.py").run()
        assert not at.exception
        assert any(c.value.startswith("9 active job(s)") for c in at.caption)
        assert len([b for b in at.button if b.label == "Cancel"]) == 9  # each can be cancelled
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_runs_list_holds_training_runs_only(data_dir):
    store = Store(data_dir)
    for job_id, kind in (("20260101-000001-aaaaaa", "train"), ("20260101-000002-bbbbbb", "quality"),
                         ("20260101-000003-cccccc", "predict")):
        store.add_job(job_id, f"a {kind} job", "baseline", None, {}, job_type=kind)
        store.update_job(job_id, status="failed", error=f"{kind} went wrong", finished=time.time())
    add_demo(store)
    at = app().switch_page("pages/train.py").run()
    assert not at.exception
    assert "1 finished job(s), newest first." in [c.value for c in at.caption]
    assert [e.value for e in at.error] == ["train went wrong"]  # the label check and the file job are not runs


@pytest.mark.usefixtures("data_dir")
def test_chat_models_on_this_machine_are_picked_by_name_never_typed_as_paths(tmp_path, monkeypatch):
    from core.checkpoints import embedded_chat_gguf

    monkeypatch.setenv("TUNELAB_CHAT_MODELS", str(tmp_path / "chat_models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = app().switch_page("pages/chat.py").run()
    at.radio(key="chat_source").set_value("local").run()
    assert any("Nothing is installed here yet" in c.value for c in at.caption)
    assert not any("path" in t.label.lower() for t in at.text_input)  # the only box left is the Hub id
    for typed, sentence in (("../../etc/passwd", "is not a Hugging Face Hub model id"),  # a path
                            ("core/chat", "Hub downloads are switched off")):  # a folder here, shaped like a Hub id
        at.text_input[0].set_value(typed)
        at.chat_input[0].set_value("hello").run()
        assert not at.exception and sentence in at.error[0].value, at.error
    (tmp_path / "chat_models").mkdir()
    (tmp_path / "chat_models" / "smol.gguf").symlink_to(embedded_chat_gguf())
    at = app().switch_page("pages/chat.py").run()
    at.radio(key="chat_source").set_value("local").run()
    assert at.selectbox(key="chat_local_model").value == "smol.gguf" and not at.text_input
    at.slider[0].set_value(0.0)
    at.slider[2].set_value(16)
    at.chat_input[0].set_value("Say hello.").run()
    assert not at.exception and not at.error, at.error
    assert [m for m in at.chat_message if m.name == "assistant"][0].markdown[0].value.strip()
