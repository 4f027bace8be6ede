"""ONNX export of a fine-tuned run: fp32 parity with PyTorch, the int8 refusal path, the fastest
verified export used for prediction and serving, and the Hugging Face folder in transformers' pipeline."""
from __future__ import annotations

import json
import zipfile
from io import BytesIO

import numpy as np
import pytest

from core.deploy.onnx import OnnxClassifier, export_onnx
from core.deploy.runtimes import fastest_export, load_for_inference
from core.predict import model_zip
from core.runs import RunFolder
from tests.conftest import copy_run

pytestmark = pytest.mark.slow  # a real fine-tune and two exports


@pytest.fixture(scope="module")
def run(finetuned_run, tmp_path_factory):
    return RunFolder(copy_run(finetuned_run, tmp_path_factory.mktemp("onnx") / "run"))


def test_fp32_export_matches_pytorch_and_int8_can_be_refused(run):
    report = export_onnx(run.path, int8=True, tolerance=0.0)  # 0: refuse int8 unless it beats the trained model
    assert report["fp32"]["max_prob_diff"] < 1e-3 and report["fp32"]["agreement"] == 1.0
    assert report["fp32"]["accuracy"] == report["eager_accuracy"]
    assert "refused" in report["int8"] and not (run.path / "onnx" / "model.int8.onnx").exists()
    assert json.loads((run.path / "onnx" / "verify.json").read_text()) == report
    onnx_file, words = fastest_export(run.path)
    assert onnx_file.name == "model.onnx" and "ONNX fp32" in words
    model = load_for_inference(run.path)
    texts = ["I love it, wonderful", "terrible, broke", "where is my order?"]
    eager = run.load_model().predict_proba(texts)
    assert isinstance(model, OnnxClassifier) and np.abs(model.predict_proba(texts) - eager).max() < 1e-3


def test_int8_kept_when_within_tolerance_and_zipped(run):
    report = export_onnx(run.path, int8=True, tolerance=1.0)
    assert "refused" not in report["int8"] and report["int8"]["agreement"] > 0.8
    assert fastest_export(run.path)[0].name == "model.int8.onnx"
    names = zipfile.ZipFile(BytesIO(model_zip(run.path))).namelist()
    assert {"onnx/model.int8.onnx", "onnx/verify.json", "model/model.safetensors"} <= set(names)


def test_the_model_folder_runs_in_transformers_pipeline(run):
    from transformers import pipeline

    clf = pipeline("text-classification", model=str(run.model_dir))
    texts = ["I love it, wonderful", "terrible, broke", "where is my order?"]
    assert [r["label"] for r in clf(texts)] == run.load_model().predict(texts)


def test_each_server_process_can_cap_its_threads(run, monkeypatch):
    """`uvicorn --workers N` on C cores: TUNELAB_SERVE_THREADS=C/N keeps N processes from each taking every core."""
    import torch

    from core.deploy.serve import Served
    from core.errors import DataError

    export_onnx(run.path)
    monkeypatch.setenv("TUNELAB_SERVE_THREADS", "1")
    threads = torch.get_num_threads()
    try:
        served = Served(run.path)
        assert served.model.session.get_session_options().intra_op_num_threads == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    monkeypatch.delenv("TUNELAB_SERVE_THREADS")
    assert Served(run.path).model.session.get_session_options().intra_op_num_threads == 0  # onnxruntime's: every core
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("TUNELAB_SERVE_THREADS", bad)
        with pytest.raises(DataError, match="TUNELAB_SERVE_THREADS must be a whole number"):
            Served(run.path)
