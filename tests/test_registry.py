"""The contender registry and the run folder: a contender added from a test (one class plus
one register line) goes through the CLI's own code path, and runs get readable names."""
from __future__ import annotations

import argparse
import json
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from core import cli
from core.compare import evaluate_runs
from core.config import TrainConfig
from core.contenders import registry
from core.contenders.base import ClassifierMixin, check_fit_inputs, check_stop, load_tensors, read_meta, save_tensors
from core.errors import DataError
from core.predict import model_zip, predict_table
from core.report import build_dashboard, summary_sentences
from core.runs import RunFolder, model_dir, readable_name


class MajorityClassifier(ClassifierMixin):
    """Always the most frequent training label, with the training frequencies as probabilities."""

    kind = "majority"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, texts, labels, *, on_progress=None, should_stop=None):
        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        check_stop(should_stop)
        counts = np.array([labels.count(c) for c in self.classes_], dtype=np.float32)
        self.priors_ = counts / counts.sum()
        return self

    def predict_proba(self, texts):
        return np.tile(self.priors_, (len(list(texts)), 1))

    def save(self, path):
        self._write_meta(Path(path))
        save_tensors(Path(path) / "model.safetensors", {"priors": self.priors_})

    @classmethod
    def load(cls, path):
        meta = read_meta(path)
        model = cls(**meta["params"])
        model.classes_, model.priors_ = meta["classes"], load_tensors(Path(path) / "model.safetensors")["priors"]
        return model


@pytest.fixture
def majority():
    spec = registry.register(registry.Contender("majority", "majority-class model", MajorityClassifier,
                                                settings=("seed",)))
    yield spec
    registry.unregister("majority")


@pytest.mark.usefixtures("majority")
def test_a_contender_registered_from_a_test_goes_through_the_cli_code_path(tiny_csv, tiny_df, tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", str(tiny_csv), "--out", str(out), "--model", "majority", "--seed", "3"]) == 0
    run = RunFolder(out)
    metrics = run.metrics()
    assert metrics["model"] == "majority" and run.config().seed == 3
    assert metrics["test"]["accuracy"] == pytest.approx(1 / 3, abs=0.15)  # 3 balanced classes
    assert run.name.startswith("Majority-class model · tiny · seed 3 · ")
    assert (run.model_dir / "README.md").read_text().count("majority-class model") >= 1
    # evaluate (core.compare), predict (core.predict), the dashboard and the download, unchanged
    result = evaluate_runs([str(out)], tiny_csv)
    assert result["contenders"][0]["model"] == "majority" and result["contenders"][0]["name"] == run.name
    table = predict_table(registry.load_classifier(model_dir(out)), tiny_csv)
    assert len(table) == len(tiny_df) and table["pred"].nunique() == 1
    dash = build_dashboard([out])
    assert summary_sentences(dash)[0] == "The Majority-class model gets 2 of the 6 test texts right (33%)."
    names = zipfile.ZipFile(BytesIO(model_zip(out))).namelist()
    assert {"model/tunelab.json", "model/model.safetensors", "config.json", "metrics.json"} <= set(names)


def test_unknown_kind_is_one_sentence_naming_the_known_ones():
    with pytest.raises(DataError, match="choose one of: baseline, embeddings, finetune"):
        TrainConfig(model="nope")


def test_every_config_field_is_a_cli_option():
    args = cli.build_parser().parse_args(["train", "x.csv", "--out", "o", "--val-fraction", "0.2",
                                          "--test-fraction", "0.15", "--C", "2.5", "--name", "my run",
                                          "--max-rows", "100", "--text-col", "body"])
    assert cli.config_overrides(args) == {"val_fraction": 0.2, "test_fraction": 0.15, "C": 2.5, "name": "my run",
                                          "max_rows": 100, "text_col": "body"}
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(TrainConfig.__dataclass_fields__) <= {a.dest for a in sub.choices["train"]._actions}


def test_readable_names_say_what_a_run_is():
    when = 1764057480.0  # 25 Nov 2025, 07:58 UTC
    name = readable_name(TrainConfig(model="finetune", epochs=5, lr=1e-4), "demo_tickets.csv", when)
    parts = name.split(" · ")
    assert parts[:4] == ["Fine-tuned MiniLM", "demo_tickets", "5 epochs", "lr 0.0001"] and "Nov" in parts[4]
    assert readable_name(TrainConfig(), "x", when).startswith("TF-IDF baseline · x · ")
    assert readable_name(TrainConfig(model="embeddings", checkpoint="/m/my-bert/"), "", when).startswith(
        "my-bert embeddings · ")


def test_a_run_folder_without_training(tmp_path):
    run = RunFolder(tmp_path / "r").create(TrainConfig(name="first"), data_path=tmp_path / "d.csv")
    assert run.metrics() is None and run.predictions() is None and run.progress() == [] and run.end_event() is None
    assert run.name == "first" and run.data_path().endswith("d.csv")
    run.progress_log()({"event": "end", "status": "done"})
    run.write_metrics({"model": "baseline", "name": "first"})
    assert run.end_event()["status"] == "done" and run.kind == "baseline"
    assert run.rename("  a   better\nname ") == "a better name" and run.name == "a better name"
    with pytest.raises(DataError):
        run.rename("   ")
    assert json.loads(run.config_path.read_text())["name"] == "first"  # a rename never rewrites the recipe


def test_a_model_of_a_kind_no_longer_registered_is_one_sentence(tmp_path):
    import json

    from core.contenders.registry import load_classifier
    from core.errors import DataError

    (tmp_path / "tunelab.json").write_text(json.dumps({"kind": "retired", "classes": ["a", "b"]}), encoding="utf-8")
    with pytest.raises(DataError, match="holds a model of unknown kind 'retired'"):
        load_classifier(tmp_path)
