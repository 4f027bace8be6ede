"""Predict names the runtime that answers and makes a fine-tune fast on CPUs: the button queues the OpenVINO int8
export as a job, and once it is done Predict answers with it (AppTest, a real fine-tune and a real export job)."""
from __future__ import annotations

import pytest

from core.jobs import JobRunner
from core.store import Store, new_id
from tests.conftest import copy_run
from tests.test_pages import app, finish

pytestmark = pytest.mark.slow  # the session's fine-tune and an export job


def texts(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.error]).replace("\\", "").replace("**", "")


def classify(at, text: str):
    at.text_area[0].input(text)
    return next(b for b in at.button if b.label == "Classify").click().run()


def test_predict_says_what_answers_and_the_export_job_makes_it_openvino(finetuned_run, tmp_path, monkeypatch):
    """The job runs the real CLI in its own process (not under pytest, where NNCF stubs its telemetry): with a HOME
    of the test's own, nothing is written there (OpenVINO's converter and NNCF keep a client id under ~/intel)."""
    root = tmp_path / "data"
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    store = Store(root)
    run_id = new_id()
    copy_run(finetuned_run, store.run_dir(run_id))  # the session's fine-tune, as a finished run of the app
    store.add_job(run_id, "Fine-tuned MiniLM", "finetune", None, {})
    store.update_job(run_id, status="done")
    runner = JobRunner(store)

    at = app().switch_page("pages/predict.py").run()
    assert "This fine-tune answers in PyTorch" in texts(at)
    at = classify(at, "terrible, it broke at once")
    assert not at.exception and "Answered by the trained model in PyTorch" in texts(at)

    at = next(b for b in at.button if b.label == "Make it fast on CPUs").click().run()
    export = store.jobs(job_type="export")
    assert len(export) == 1 and export[0].name.startswith("Make ")
    finish(runner)
    assert store.get_job(export[0].id).status == "done", store.get_job(export[0].id).error
    assert not (tmp_path / "home" / "intel").exists(), "OpenVINO or NNCF kept a telemetry client id"

    at = app().switch_page("pages/predict.py").run()
    assert "answer with its OpenVINO int8 export" in texts(at)
    assert not [b for b in at.button if b.label == "Make it fast on CPUs"]  # nothing faster to make
    at = classify(at, "terrible, it broke at once")
    assert not at.exception and "Answered by its OpenVINO int8 export" in texts(at)
    assert at.metric[0].value == "negative"
