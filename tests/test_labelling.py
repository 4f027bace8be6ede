"""Starting with no labels: an LLM labels a file as a job (cancel, resume, nothing asked twice), the labels become a
dataset whose test rows wait for a person, the person's check fixes them, and the labeller becomes a teacher run
scored on human labels. The LLM is the scripted OpenAI-compatible server of test_llm_endpoint (real HTTP on
127.0.0.1): it labels the tiny texts by keywords."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter

import pandas as pd
import pytest

from core.contenders.base import FitStopped
from core.data import versions
from core.errors import DataError
from core.jobs import JobRunner
from core.labelling import ladder
from core.labelling.llm_label import LabelSettings, label_texts, parse_classes, read_scores, scores_path
from core.store import Store
from tests.conftest import tiny_frame
from tests.test_llm_endpoint import Server
from tests.test_llm_endpoint import server as scripted_server

server = scripted_server  # the fixture, under the name the tests ask for

CLASSES = ["negative", "positive", "question"]


def asked(text: str) -> int:
    """How many times the scripted server was asked to label `text`."""
    return sum(s["body"]["messages"][-1]["content"] == f"Text: {text}" for s in Server.seen)


@pytest.mark.parametrize("given, sentence", [
    ("billing", "at least two categories"), ("billing, Billing", "named twice"), (" , ,", "at least two"),
    ("a," + "x" * 70, "at most 60 characters")])
def test_unusable_category_lists_are_one_sentence(given, sentence):
    with pytest.raises(DataError, match=sentence):
        parse_classes(given)


def test_categories_read_from_commas_or_lines_sorted():
    assert parse_classes("shipping, billing") == ["billing", "shipping"]
    assert parse_classes("a, b\nc") == ["a, b", "c"]  # one a line: a comma may be part of a name


def test_a_stopped_labelling_resumes_without_asking_twice(server, tmp_path):
    texts = tiny_frame()["text"].tolist()[:40]
    settings, out = LabelSettings(CLASSES, server + "|m"), tmp_path / "labelled.csv"
    calls = iter([False, True])  # one chunk of 16, then stop
    with pytest.raises(FitStopped):
        label_texts(texts, out, settings, should_stop=lambda: next(calls))
    assert len(read_scores(out, settings, texts)) == 16 + 1  # 16 texts and the content-free scores
    with scores_path(out).open("a", encoding="utf-8") as f:
        f.write('{"i": 16, "h": "trunc')  # killed mid-line: skipped, asked again
    events = []
    frame = label_texts(texts, out, settings, on_progress=events.append)
    assert events[0]["resumed"] == 16 and all(asked(t) == 1 for t in texts)
    assert list(frame.columns) == ["text", "label", "confidence", "source"] and frame["source"][0] == "llm:m"
    truth = tiny_frame()["label"].tolist()[:40]
    assert (frame["label"] == truth).mean() == 1.0 and frame["confidence"].between(0, 1).all()
    with pytest.raises(DataError, match="other settings"):
        label_texts(texts, out, LabelSettings(["a", "b"], server + "|m"))
    with pytest.raises(DataError, match="different file of texts"):
        label_texts(texts[::-1], out, settings)


def run_jobs(runner: JobRunner, job_id: str, cancel_after: float | None = None) -> str:
    t0 = time.time()
    while runner.store.get_job(job_id).status in ("queued", "running"):
        runner.poll()
        if cancel_after is not None and time.time() - t0 > cancel_after and runner.folder(job_id).progress()[1:]:
            runner.cancel(job_id)
            cancel_after = None
        assert time.time() - t0 < 120
        time.sleep(0.2)
    return runner.store.get_job(job_id).status


def test_the_ladder_from_no_labels_to_a_teacher_scored_on_human_labels(server, data_dir):
    df = tiny_frame()
    store = Store(data_dir)
    runner = JobRunner(store)
    Server.delay = 0.05  # slow enough to cancel mid-way
    upload = df[["text"]].to_csv(index=False).encode()
    first = ladder.submit_labelling(runner, upload, "texts.csv", LabelSettings(CLASSES, server + "|m", requests=1))
    assert run_jobs(runner, first, cancel_after=0.0) == "cancelled"
    with pytest.raises(DataError, match="not finished"):
        ladder.save_labelled(store, first)
    second = ladder.resume_labelling(runner, first)
    assert run_jobs(runner, second) == "done"
    assert all(asked(t) == 1 for t in df["text"])  # nothing labelled (or paid for) twice
    dataset_id = ladder.save_labelled(store, second)
    assert ladder.save_labelled(store, second) == dataset_id  # saved once
    v1 = versions.latest(store, dataset_id)
    assert not v1.checked and ladder.waiting_check(store, dataset_id)
    rows = versions.rows(store, dataset_id)
    assert set(rows["source"]) == {"llm:m"} and rows["confidence"].between(0, 1).all()
    sample = ladder.check_sample(store, dataset_id)
    assert len(sample) == v1.test_rows == 21 and sample["confidence"].is_monotonic_increasing  # 30% of 72: all
    labels = dict(zip(sample["uid"].astype(int), sample["label"], strict=True))
    with pytest.raises(DataError, match="no label yet"):
        ladder.confirm_check(store, dataset_id, dict(list(labels.items())[:5]))
    flipped = {u: ("question" if y != "question" else "positive") for u, y in list(labels.items())[:3]}
    version, teacher = ladder.confirm_check(store, dataset_id, {**labels, **flipped})
    assert version.checked and version.relabelled == 3 and not ladder.waiting_check(store, dataset_id)
    checked = versions.rows(store, dataset_id)
    assert set(checked[checked["split"] == "test"]["source"]) == {"human"}
    metrics = runner.folder(teacher).metrics()
    assert metrics["teacher"] and metrics["rows"]["test"] == 21
    assert metrics["test"]["accuracy"] == pytest.approx(18 / 21)  # right on all but the 3 a person changed
    assert metrics["speed"]["texts_per_s"] > 0 and metrics["speed"]["tokens_in_per_text"] > 0
    assert store.get_job(teacher).status == "done"
    from core.contenders.registry import load_classifier

    assert load_classifier(runner.folder(teacher).model_dir).predict(["where is my order?"]) == ["question"]


def test_cli_refusals_are_one_sentence(tmp_path, data_dir):
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nhello there\nhow are you?\n", encoding="utf-8")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "core", "llm-label", str(texts), "--out", str(tmp_path / "o.csv"),
                               *args], capture_output=True, text=True, timeout=120)

    for args, sentence in [(["--classes", "spam"], "at least two categories"),
                           (["--classes", "a,A"], "named twice"),
                           (["--classes", "a,b", "--llm", str(tmp_path / "gone.gguf")], "gone.gguf")]:
        done = cli(*args)
        assert done.returncode == 2 and done.stderr.strip().startswith("error: ") and sentence in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    empty = tmp_path / "empty.csv"
    empty.write_text("text\n\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "core", "llm-label", str(empty), "--classes", "a,b", "--out",
                           str(tmp_path / "o.csv")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_cli_labels_a_file_and_continues(server, tmp_path):
    texts = tmp_path / "texts.csv"
    tiny_frame()[["text"]].head(20).to_csv(texts, index=False)
    out = tmp_path / "o.csv"
    cmd = [sys.executable, "-m", "core", "llm-label", str(texts), "--classes", "question,positive,negative", "--llm",
           server + "|m", "--out", str(out), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 20
    before = len(Server.seen)
    assert subprocess.run(cmd, capture_output=True, text=True, timeout=120).returncode == 0
    assert len(Server.seen) == before  # rerun with the same --out: nothing asked again
    assert Counter(s["body"]["messages"][-1]["content"] for s in Server.seen).most_common(1)[0][1] <= 2


def test_examples_for_the_prompt_must_use_the_categories(tmp_path):
    from core.labelling.llm_label import read_shots

    good = pd.DataFrame({"text": [f"text {i}" for i in range(12)], "label": ["a"] * 10 + ["b"] * 2})
    shots = read_shots(good.to_csv(index=False).encode(), ["a", "b"], "shots.csv")
    assert [y for _, y in shots].count("a") == 8 and [y for _, y in shots].count("b") == 2  # 8 a category at most
    bad = pd.DataFrame({"text": ["x one", "y two"], "label": ["a", "c"]})
    with pytest.raises(DataError, match="not among the categories: c"):
        read_shots(bad.to_csv(index=False).encode(), ["a", "b"], "shots.csv")


def test_first_labels_by_hand_become_a_dataset(data_dir):
    store = Store(data_dir)
    with pytest.raises(DataError, match="at least two categories"):
        ladder.save_first_labels(store, [("a text", "x"), ("another", "x")], "pool.csv")
    rows = [(f"refund {i}", "billing") for i in range(6)] + [(f"parcel {i}", "shipping") for i in range(6)]
    dataset_id = ladder.save_first_labels(store, rows, "pool.csv")
    v1 = versions.latest(store, dataset_id)
    assert v1.checked and v1.classes == {"billing": 6, "shipping": 6}  # a person's labels: nothing to check
    assert store.datasets()[0]["name"] == "pool (first labels).csv"


def test_too_few_labels_to_hold_any_out_is_one_sentence(tmp_path):
    path = tmp_path / "four.csv"
    pd.DataFrame({"text": ["a refund please", "where is my parcel", "app crashes", "login fails"],
                  "label": ["billing", "shipping", "technical", "account"]}).to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "core", "train", str(path), "--out", str(tmp_path / "run"),
                           "--text-col", "text", "--label-col", "label"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "a category needs at least 3 labelled texts" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_embedded_model_labels_stops_and_resumes(tmp_path):
    """The embedded SmolLM2 (local, no server) through the same resumable path: what it scored before a stop is
    not scored again, and the teacher's model folder loads as a prompted-LLM run."""
    texts = tiny_frame()["text"].tolist()[:20]
    settings, out = LabelSettings(CLASSES), tmp_path / "labelled.csv"
    calls = iter([False, True])
    with pytest.raises(FitStopped):
        label_texts(texts, out, settings, should_stop=lambda: next(calls))
    events = []
    frame = label_texts(texts, out, settings, on_progress=events.append)
    assert events[0]["resumed"] == 16 and len(frame) == 20 and set(frame["label"]) <= set(CLASSES)
    assert frame["source"][0] == "llm:SmolLM2-135M" and frame["confidence"].between(1 / 3, 1).all()
    summary = json.loads((tmp_path / "labelled.csv.labelling.json").read_text(encoding="utf-8"))
    assert summary["texts"] == 20 and summary["speed"]["tokens_in_per_text"] > 10  # both sittings counted
