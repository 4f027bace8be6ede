"""OpenVINO export of a fine-tuned run: fp32 parity with PyTorch, NNCF int8 calibrated on the run's training texts
and its refusal path, the runtime chosen among a run's exports, the zip, serving it, and nothing sent anywhere."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from core.deploy.runtimes import fastest_export, load_for_inference, runtime_name
from core.runs import RunFolder
from tests.conftest import ROOT, copy_run

TEXTS = ["I love it, wonderful", "terrible, broke", "where is my order?", "best purchase ever, superb quality !"]


@pytest.fixture(scope="module")
def run(finetuned_run, tmp_path_factory):
    """The session's fine-tune exported once through the CLI; --tolerance 1.0 keeps int8 whatever it costs."""
    from core.cli import main

    run = RunFolder(copy_run(finetuned_run, tmp_path_factory.mktemp("openvino") / "run"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", str(run.path), "--format", "openvino", "--int8", "--tolerance", "1.0"]) == 0
    run.report = json.loads(out.getvalue())  # stdout is the report alone: NNCF's progress bars went to stderr
    return run


@pytest.mark.slow
def test_fp32_matches_pytorch_and_int8_is_calibrated_on_training_texts(run):
    report = run.report
    assert report["fp32"]["max_prob_diff"] < 1e-3 and report["fp32"]["agreement"] == 1.0
    assert report["fp32"]["accuracy"] == report["eager_accuracy"]
    assert "refused" not in report["int8"] and report["int8"]["agreement"] > 0.8
    assert report["int8"]["calibration"]["from"] == "training texts"  # the run recorded its data file
    assert json.loads((run.path / "openvino" / "verify.json").read_text()) == report
    file, words = fastest_export(run.path)
    assert file.name == "model.int8.xml" and "OpenVINO int8" in words and runtime_name(run.path) == "OpenVINO int8"
    model = load_for_inference(run.path)
    assert type(model).__name__ == "OpenVinoClassifier"
    many = model.predict_proba(TEXTS, batch_size=2)  # two batches: the parallel queue
    one = np.vstack([model.predict_proba([t]) for t in TEXTS])  # one batch each: the single request
    assert np.abs(many - one).max() < 1e-4 and np.allclose(many.sum(1), 1)
    assert model.predict(TEXTS)[:2] == ["positive", "negative"]
    assert model.explain("terrible, broke").words  # occlusion runs on the runtime that serves


@pytest.mark.slow
def test_the_zip_carries_the_openvino_export_and_serves_unzipped(run, tmp_path):
    from core.deploy.serve import Served
    from core.predict import model_zip

    archive = zipfile.ZipFile(BytesIO(model_zip(run.path)))
    names = set(archive.namelist())
    assert {"openvino/model.int8.xml", "openvino/model.int8.bin", "openvino/verify.json", "model/model.safetensors"} <= names
    assert "openvino/model.bin" not in names  # int8 answers: its fp32 twin (4x its size) stays out
    archive.extractall(tmp_path / "unzipped")  # README: "Unzipped, it serves as it is"
    served = Served(tmp_path / "unzipped")
    assert "OpenVINO int8" in served.info["runtime"]
    assert served.model.predict(TEXTS) == load_for_inference(run.path).predict(TEXTS)


@pytest.mark.slow
def test_serve_answers_and_explains_on_openvino_with_capped_threads(run, monkeypatch):
    from fastapi.testclient import TestClient

    from core.deploy.api import create_app
    from core.deploy.serve import load_models

    monkeypatch.setenv("TUNELAB_SERVE_THREADS", "1")
    import torch

    threads = torch.get_num_threads()
    try:
        models = load_models([str(run.path)])
    finally:
        torch.set_num_threads(threads)
    served = next(iter(models.values()))
    assert served.model.compiled.get_property("INFERENCE_NUM_THREADS") == 1
    with TestClient(create_app(models, data_dir=run.path / "data")) as c:
        info = c.get("/v1/models").json()["models"][0]
        assert "OpenVINO int8" in info["runtime"]
        res = c.post("/v1/classify", json={"texts": TEXTS[:2], "explain": True}).json()["predictions"]
    assert [p["label"] for p in res] == ["positive", "negative"]
    assert res[1]["explanation"] and {w["word"] for w in res[1]["explanation"]} & {"terrible", "broke"}


def test_int8_that_loses_accuracy_is_refused_and_its_files_go(tmp_path):
    from core.deploy.exported import int8_verdict

    files = [tmp_path / "model.int8.xml", tmp_path / "model.int8.bin"]
    for f in files:
        f.write_text("x")
    check = {"file": "model.int8.xml", "accuracy": 0.89}
    assert int8_verdict(check, 0.892, 0.005, files) == check and all(f.exists() for f in files)  # 0.2 points: kept
    refused = int8_verdict(check, 0.9, 0.005, files)  # a full point
    assert refused["refused"].startswith("int8 lost 1.0% accuracy") and not any(f.exists() for f in files)


def _fake_export(run_dir: Path, folder: str, entries: dict) -> None:
    (run_dir / folder).mkdir(parents=True, exist_ok=True)
    report = {"rows": 10, "eager_accuracy": 0.9}
    for precision, (file, refused) in entries.items():
        (run_dir / folder / file).write_text("x")
        report[precision] = {"file": file, "accuracy": 0.9, **({"refused": "lost"} if refused else {})}
    (run_dir / folder / "verify.json").write_text(json.dumps(report))


def test_the_fastest_verified_export_answers(tmp_path):
    """OpenVINO int8, then onnxruntime int8, then either fp32, then the trained model; refused or missing files
    are passed over."""
    run = tmp_path / "run"
    run.mkdir()
    assert fastest_export(run) == (None, "the trained model (no ONNX or OpenVINO export)")
    assert runtime_name(run) == ""  # not a finished fine-tune: no runtime to name
    (run / "metrics.json").write_text(json.dumps({"model": "finetune"}))
    assert runtime_name(run) == "PyTorch"
    _fake_export(run, "openvino", {"fp32": ("model.xml", False), "int8": ("model.int8.xml", True)})
    assert runtime_name(run) == "OpenVINO fp32"
    _fake_export(run, "onnx", {"fp32": ("model.onnx", False), "int8": ("model.int8.onnx", False)})
    assert runtime_name(run) == "ONNX int8"
    _fake_export(run, "openvino", {"fp32": ("model.xml", False), "int8": ("model.int8.xml", False)})
    assert fastest_export(run)[0] == run / "openvino" / "model.int8.xml" and runtime_name(run) == "OpenVINO int8"
    (run / "openvino" / "model.int8.xml").unlink()  # a half-copied folder: the next verified file answers
    assert runtime_name(run) == "ONNX int8"
    (run / "onnx" / "model.int8.onnx").unlink()
    assert runtime_name(run) == "ONNX fp32"


def test_only_a_finetune_can_be_exported(tiny_csv, tmp_path):
    from core.config import TrainConfig
    from core.train import run_training

    run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    out = subprocess.run([sys.executable, "-m", "core", "export", str(tmp_path / "run"), "--format", "openvino"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.startswith("error: Only a finished fine-tuned Transformer run")
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_label_sets_export_with_sigmoid_and_their_thresholds(tmp_path):
    """A multi-label fine-tune: each export gives independent per-label probabilities equal to PyTorch's and decides
    label sets with the thresholds tuned at training."""
    from core.config import TrainConfig
    from core.contenders.registry import load_classifier
    from core.deploy.onnx import OnnxClassifier, export_onnx
    from core.deploy.openvino import OpenVinoClassifier, export_openvino
    from core.train import run_training
    from tests.test_multilabel import multi_frame

    multi_frame().to_csv(tmp_path / "m.csv", index=False)
    run_training(TrainConfig(model="finetune", max_steps=4, batch_size=8, max_length=32, test_fraction=0.3),
                 tmp_path / "m.csv", tmp_path / "run")  # parity needs a trained head, not a good one
    run, texts = RunFolder(tmp_path / "run"), multi_frame()["text"].tolist()[::4]
    eager = load_classifier(run.model_dir)
    for kind, export, file in ((OnnxClassifier, export_onnx, "onnx/model.onnx"),
                               (OpenVinoClassifier, export_openvino, "openvino/model.xml")):
        report = export(run.path)
        assert report["fp32"]["max_prob_diff"] < 1e-3 and report["fp32"]["agreement"] == 1.0, kind
        model = kind.from_run(run, run.path / file)
        assert model.multi_label_ and model.thresholds_ == eager.thresholds_
        proba = model.predict_proba(texts)
        assert np.abs(proba - eager.predict_proba(texts)).max() < 1e-3
        assert not np.allclose(proba.sum(1), 1)  # sigmoid per label, not a softmax over them
        assert model.predict(texts) == eager.predict(texts)
