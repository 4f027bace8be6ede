"""Predict names the runtime that answers and makes a fine-tune fast on CPUs: the button queues the OpenVINO int8
export as a job, and once it is done Predict answers with it (AppTest, a real fine-tune and a real export job)."""
from __future__ import annotations

import pytest

from core.config import TrainConfig
from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import tiny_frame
from tests.test_pages import app, finish

pytestmark = pytest.mark.slow  # a fine-tune and an export, each as a job


def texts(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.error]).replace("\\", "").replace("**", "")


def classify(at, text: str):
    at.text_area[0].input(text)
    return next(b for b in at.button if b.label == "Classify").click().run()


def test_predict_says_what_answers_and_the_export_job_makes_it_openvino(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(root))
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    store = Store(root)
    dataset_id = save_dataset(store, load_dataset(tmp_path / "tiny.csv"), (tmp_path / "tiny.csv").read_bytes(), "tiny.csv")
    runner = JobRunner(store)
    runner.submit(TrainConfig(model="finetune", epochs=3, batch_size=8, lr=1e-4, max_length=32, text_col="text",
                              label_col="label", dataset_id=dataset_id, dataset_version=1), dataset_name="tiny.csv")
    finish(runner)

    at = app().switch_page("pages/predict.py").run()
    assert "This fine-tune answers in PyTorch" in texts(at)
    at = classify(at, "terrible, it broke at once")
    assert not at.exception and "Answered by the trained model in PyTorch" in texts(at)

    at = next(b for b in at.button if b.label == "Make it fast on CPUs").click().run()
    export = store.jobs(job_type="export")
    assert len(export) == 1 and export[0].name.startswith("Make ")
    finish(runner)
    assert store.get_job(export[0].id).status == "done", store.get_job(export[0].id).error

    at = app().switch_page("pages/predict.py").run()
    assert "answer with its OpenVINO int8 export" in texts(at)
    assert not [b for b in at.button if b.label == "Make it fast on CPUs"]  # nothing faster to make
    at = classify(at, "terrible, it broke at once")
    assert not at.exception and "Answered by its OpenVINO int8 export" in texts(at)
    assert at.metric[0].value == "negative"
