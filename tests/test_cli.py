"""`python -m core`: exit codes, the error line, JSON shapes, a real train -> evaluate -> predict."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from scipy.stats import binomtest, chi2

from tests.conftest import DEMO, ROOT


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_inspect_json_shape():
    res = cli("inspect", DEMO, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"rows", "text_column", "label_column", "classes", "dropped", "warnings"} <= set(out)
    assert out["text_column"] == "ticket" and out["label_column"] == "category" and len(out["classes"]) == 5


@pytest.mark.parametrize("content,name", [(b"", "empty.csv"), (b"\x89PNG\r\n\x1a\n" + bytes(64), "img.csv"),
                                          (b"text,label\nhello there,a\nbye now,a\n", "one.csv")])
def test_user_errors_exit_2_with_one_error_line(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    res = cli("train", path, "--out", tmp_path / "run")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in res.stderr


def test_missing_file_and_bad_option():
    assert cli("inspect", "/nonexistent/file.csv").returncode == 2
    assert cli("train", DEMO, "--out", "/tmp/x", "--epochs", "0").returncode == 2


@pytest.mark.slow
def test_train_evaluate_predict_roundtrip(tmp_path, tiny_csv):
    runs = []
    for model, extra in [("baseline", ["--epochs", "7"]), ("finetune", ["--max-steps", "3", "--batch-size", "8"])]:
        out = tmp_path / model
        res = cli("train", tiny_csv, "--out", out, "--model", model, "--max-length", "32", *extra)
        assert res.returncode == 0, res.stderr
        for f in ("config.json", "progress.jsonl", "metrics.json", "predictions.parquet", "model/README.md"):
            assert (out / f).is_file(), f
        runs.append(out)
    res = cli("evaluate", *runs, "--data", tiny_csv, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [c["model"] for c in out["contenders"]] == ["baseline", "finetune"]
    assert all({"run", "accuracy", "macro_f1", "n"} <= set(c) for c in out["contenders"])
    for c, run in zip(out["contenders"], runs, strict=True):  # the scorecard's columns, from this file and the run
        trained = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
        assert c["train_s"] == trained["train_seconds"] and c["size_mb"] == trained["speed"]["size_mb"] > 0
        assert c["s_per_1000"] == pytest.approx(1000 / c["texts_per_s"], rel=0.01, abs=0.006)  # both rounded
    table = cli("evaluate", *runs, "--data", tiny_csv).stdout
    assert "texts/s" in table and "s/1000" in table and len(table.strip().splitlines()) >= 3
    test, (a, b) = out["mcnemar"][0], out["contenders"]
    # the discordant counts explain the accuracy gap exactly, and p follows from them
    assert test["only_a_right"] - test["only_b_right"] == round((a["accuracy"] - b["accuracy"]) * a["n"])
    n = test["only_a_right"] + test["only_b_right"]  # p recomputed here from the counts, McNemar's way
    expected = 1.0 if n == 0 else binomtest(test["only_a_right"], n, 0.5).pvalue if n < 25 else \
        chi2.sf((abs(test["only_a_right"] - test["only_b_right"]) - 1) ** 2 / n, 1)
    assert test["p_value"] == pytest.approx(expected) and test["sentence"]
    res = cli("predict", runs[0], tiny_csv, "--out", tmp_path / "pred.csv")
    assert res.returncode == 0, res.stderr
    pred = pd.read_csv(tmp_path / "pred.csv")
    # every input row comes back, in order, with its own columns kept
    assert len(pred) == 72 and list(pred.columns[:2]) == ["text", "label"]
    assert {"pred", "confidence", "p:positive"} <= set(pred.columns)
    assert (pred["pred"] == pred["label"]).mean() > 0.9


def test_predict_writes_progress_lines_and_stops_when_asked(tmp_path, tiny_csv):
    from core import cli as cli_module
    from core.config import TrainConfig
    from core.contenders.base import FitStopped
    from core.contenders.registry import load_classifier
    from core.predict import predict_table
    from core.progress import read_progress
    from core.train import run_training

    run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    progress = tmp_path / "progress.jsonl"
    assert cli_module.main(["predict", str(tmp_path / "run"), str(tiny_csv), "--out", str(tmp_path / "o.csv"),
                            "--progress", str(progress)]) == 0
    events = read_progress(progress)
    assert events[0]["event"] == "start" and events[-1]["status"] == "done" and events[-1]["rows"] == 72
    model = load_classifier(tmp_path / "run" / "model")
    steps = []
    table = predict_table(model, tiny_csv, on_progress=steps.append, chunk=20)
    assert [e["step"] for e in steps] == [20, 40, 60, 72] and len(table) == 72
    calls = iter([False, True])
    with pytest.raises(FitStopped):  # the one stop protocol (core.worker turns it into 'cancelled')
        predict_table(model, tiny_csv, should_stop=lambda: next(calls), chunk=20)


@pytest.mark.slow
def test_explain_and_label_issues_json_shapes(tmp_path, tiny_csv, tiny_df):
    from core.config import TrainConfig
    from core.contenders.registry import load_classifier
    from core.train import run_training

    run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    res = cli("explain", tmp_path / "run", "--text", "terrible, it broke at once", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["label"] == "negative" and out["method"] == "tfidf"
    proba = load_classifier(tmp_path / "run" / "model").predict_proba(["terrible, it broke at once"])[0]
    assert out["confidence"] == pytest.approx(proba.max(), abs=1e-4)  # the model's own probability, rounded to 4
    assert [w["word"] for w in out["words"]] == ["terrible", ",", "it", "broke", "at", "once"]
    res = cli("explain", tmp_path / "run", "--file", tiny_csv, "--out", tmp_path / "ex.jsonl", "--label", "question")
    lines = [json.loads(x) for x in (tmp_path / "ex.jsonl").read_text().splitlines()]
    assert res.returncode == 0 and len(lines) == 72 and {x["target"] for x in lines} == {"question"}
    assert cli("explain", tmp_path / "run", "--text", "hi", "--label", "nope").returncode == 2
    flipped = tiny_df.copy()
    flipped.loc[0, "label"] = "question"  # "I love this, it is wonderful" is positive
    flipped.to_csv(tmp_path / "noisy.csv", index=False)
    res = cli("label-issues", tmp_path / "noisy.csv", "--json", "--fast", "--fix-out", tmp_path / "fixed.csv",
              "--out", tmp_path / "issues.csv")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"rows", "issues", "leakage", "conflicts"} and out["rows"] == 72
    first = out["issues"][0]
    assert {"row", "text", "given", "suggested", "score"} <= set(first)
    assert (first["row"], first["given"], first["suggested"]) == (0, "question", "positive")
    fixed = pd.read_csv(tmp_path / "fixed.csv")
    assert fixed.loc[0, "label"] == "positive" and fixed.drop(index=[i["row"] for i in out["issues"]]).equals(
        flipped.drop(index=[i["row"] for i in out["issues"]]))
    assert pd.read_csv(tmp_path / "issues.csv")["row"].tolist() == [i["row"] for i in out["issues"]]
