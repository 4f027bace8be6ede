"""Dataset versions, the corrections queue, re-scoring across versions, retraining, the dataset CLI."""
from __future__ import annotations

import hashlib
import json
import shutil
import threading

import pandas as pd
import pytest

from conftest import tiny_frame
from core.compare import compare_versions
from core.config import TrainConfig
from core.data import feedback, versions
from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.errors import DataError
from core.store import Store
from core.train import run_training


@pytest.fixture
def saved(tmp_path):
    store = Store(tmp_path / "data")
    path = tmp_path / "tiny.csv"
    tiny_frame().to_csv(path, index=False)
    dataset_id = save_dataset(store, load_dataset(path), path.read_bytes(), "tiny.csv")
    return store, dataset_id


def _digest(store, dataset_id, n):
    return hashlib.sha256(versions.rows_path(store, dataset_id, n).read_bytes()).hexdigest()


def test_v1_is_the_upload_with_a_split_decided_once(saved):
    store, i = saved
    [v1] = versions.versions(store, i)
    rows = versions.rows(store, i, 1)
    assert (v1.n, v1.parent, v1.rows) == (1, None, 72)
    assert list(rows["uid"]) == list(range(72))  # the file positions
    assert set(rows["split"]) == {"train", "val", "test"} and v1.test_rows == (rows["split"] == "test").sum() > 0


def test_a_new_version_never_alters_its_parent_and_keeps_the_test_rows(saved):
    store, i = saved
    before, v1 = _digest(store, i, 1), versions.rows(store, i, 1)
    test_uid = int(v1[v1["split"] == "test"]["uid"].iloc[0])
    old = v1.set_index("uid").at[test_uid, "label"]
    new = next(c for c in ("positive", "negative", "question") if c != old)
    v2 = versions.new_version(store, i, [{"uid": test_uid, "label": new, "source": "review"},
                                         {"text": "a completely new question about opening hours?", "label": "question",
                                          "source": "active"}])
    assert _digest(store, i, 1) == before
    rows2 = versions.rows(store, i, 2)
    assert (v2.n, v2.parent, v2.relabelled, v2.added, v2.rows) == (2, 1, 1, 1, 73)
    assert rows2.set_index("uid").at[test_uid, "label"] == new
    assert set(rows2[rows2["split"] == "test"]["uid"]) == set(v1[v1["split"] == "test"]["uid"])
    assert rows2.iloc[-1]["split"] in ("train", "val") and rows2.iloc[-1]["uid"] == 72
    log = versions.changes(store, i, 2)
    assert [(c["uid"], c["old"], c["new"], c["source"]) for c in log] == [(test_uid, old, new, "review"),
                                                                         (72, None, "question", "active")]
    assert "1 label(s) corrected, 1 row(s) added" in v2.summary()


def test_a_corrected_text_already_in_the_data_relabels_it_rather_than_adding_a_copy(saved):
    store, i = saved
    v1 = versions.rows(store, i, 1)
    text, label = v1["text"].iloc[0], v1["label"].iloc[0]
    other = next(c for c in ("positive", "negative", "question") if c != label)
    v2 = versions.new_version(store, i, [{"text": text, "label": other, "source": "predict"}])
    assert (v2.relabelled, v2.added, v2.rows) == (1, 0, 72)


def test_unusable_edits_get_one_sentence(saved):
    store, i = saved
    with pytest.raises(DataError, match="not one of this dataset's labels"):
        versions.new_version(store, i, [{"uid": 0, "label": "spam", "source": "review"}])
    with pytest.raises(DataError, match="Nothing to save"):
        versions.new_version(store, i, [{"uid": 0, "label": versions.rows(store, i)["label"].iloc[0]}])
    with pytest.raises(DataError, match="no version 9"):
        versions.rows(store, i, 9)
    assert [v.n for v in versions.versions(store, i)] == [1]


def test_two_sessions_saving_at_once_get_two_versions(saved):
    store, i = saved
    labels = versions.rows(store, i)["label"].tolist()
    flip = {"positive": "negative", "negative": "question", "question": "positive"}
    errors = []

    def save(uid):
        try:
            versions.new_version(store, i, [{"uid": uid, "label": flip[labels[uid]]}])
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(u,)) for u in (1, 2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and [v.n for v in versions.versions(store, i)] == [1, 2, 3]
    assert {versions.get(store, i, n).parent for n in (2, 3)} == {1, 2}


def test_a_dataset_saved_before_versions_gets_its_v1_on_first_use(saved):
    store, i = saved
    import shutil

    shutil.rmtree(store.dataset_dir(i) / "versions")
    assert versions.latest(store, i).n == 1 and versions.rows(store, i)["uid"].tolist() == list(range(72))


def test_the_queue_collects_every_way_in_and_becomes_a_version(saved):
    store, i = saved
    rows = versions.rows(store, i)
    feedback.add(store, i, [{"uid": 0, "label": "question"}], "review")
    feedback.add(store, i, [{"text": "is the shop open on sunday?", "label": "question"}], "predict")
    store.add_job("20260101-000000-abcdef", "run", "baseline", i, {})
    api = store.root / "feedback" / "feedback.jsonl"
    api.parent.mkdir(parents=True, exist_ok=True)
    api.write_text(json.dumps({"text": "never buying again", "label": "negative", "model": "20260101-000000-abcdef",
                               "time": 1.0, "source": "api"}) + "\n" + json.dumps({"text": "other", "label": "negative",
                               "model": "20990101-000000-ffffff", "time": 2.0}) + "\n{half a line")
    queue = feedback.pending(store, i)
    assert [q["source"] for q in queue] == ["api", "review", "predict"]  # oldest first; other datasets' not here
    v2 = feedback.apply(store, i)
    assert (v2.relabelled, v2.added) == (1 if rows["label"].iloc[0] != "question" else 0, 2)
    assert feedback.pending(store, i) == []
    with pytest.raises(DataError, match="no corrections waiting"):
        feedback.apply(store, i)


def test_review_decisions_are_remembered(saved):
    store, i = saved
    feedback.decide(store, i, [{"uid": 3, "decision": "keep", "label": "positive"}])
    feedback.decide(store, i, [{"uid": 3, "decision": "relabel", "label": "question"}])
    assert feedback.decided(store, i)[3]["decision"] == "relabel"


def test_runs_on_two_versions_share_test_rows_and_are_rescored_on_the_newest_labels(saved, tmp_path):
    store, i = saved
    cfg = TrainConfig(model="baseline")
    run1 = tmp_path / "run1"
    run_training(cfg.with_(dataset_id=i, dataset_version=1), versions.rows_path(store, i, 1), run1)
    preds = pd.read_parquet(run1 / "predictions.parquet")
    # correct a test row's label to what the model predicted where it was "wrong", or flip a right one
    wrong = preds[preds["pred"] != preds["label"]]
    row = (wrong if len(wrong) else preds).iloc[0]
    new = row["pred"] if len(wrong) else next(c for c in ("positive", "negative", "question") if c != row["label"])
    versions.new_version(store, i, [{"uid": int(row["uid"]), "label": new, "source": "review"}])
    [only] = compare_versions(store, [run1])
    expected = ((preds["pred"] == preds["label"]).sum() + (1 if len(wrong) else -1)) / len(preds)
    assert only["rescored"] == 1 and only["rows"][0]["accuracy"] == pytest.approx(expected)
    run2 = tmp_path / "run2"
    run_training(cfg.with_(dataset_id=i, dataset_version=2), versions.rows_path(store, i, 2), run2)
    assert set(pd.read_parquet(run2 / "predictions.parquet")["uid"]) == set(preds["uid"])
    [both] = compare_versions(store, [run1, run2])
    [pair] = both["pairs"]
    assert "v1 -> v2" in pair["sentence"] and "correcting 1 label " in pair["sentence"] and "p = " in pair["sentence"]


def test_retrain_repeats_recipes_on_the_new_version(saved):
    store, i = saved
    from core.jobs import JobRunner

    runner = JobRunner(store, max_concurrent=0)  # queue only: nothing starts
    first = runner.submit(TrainConfig(model="baseline", C=3.0, dataset_id=i, dataset_version=1), dataset_name="tiny.csv")
    versions.new_version(store, i, [{"text": "brand new and lovely", "label": "positive"}])
    [again] = runner.retrain([first], i)
    run = runner.folder(again)
    assert run.config().C == 3.0 and run.data_path() == str(versions.rows_path(store, i, 2).resolve())
    assert "tiny v2" in run.config().name


def test_dataset_cli(saved, monkeypatch, capsys, tmp_path):
    store, i = saved
    from core.cli import main

    monkeypatch.setenv("TUNELAB_DATA_DIR", str(store.root))
    versions.new_version(store, i, [{"text": "brand new and lovely", "label": "positive", "source": "active"}])
    assert main(["dataset", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"] == [{"id": i, "name": "tiny.csv", "versions": 2, "rows": 73,
                                                                "archived": False}]
    assert main(["dataset", "show", i, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [v["n"] for v in shown["versions"]] == [1, 2] and shown["versions"][1]["changes"][0]["source"] == "active"
    out = tmp_path / "v1.csv"
    assert main(["dataset", "export", i, "--version", "1", "--out", str(out)]) == 0
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == 72
    assert main(["dataset", "show", "../../etc"]) == 2
    assert "error: No dataset with the id" in capsys.readouterr().err


def test_a_run_knows_its_dataset_version_from_its_config_not_the_file_name(saved, tmp_path, tiny_csv):
    store, i = saved
    copy = tmp_path / "renamed.parquet"  # a renamed copy used to train silently on a fresh split
    shutil.copy(versions.rows_path(store, i, 1), copy)
    cfg = TrainConfig(model="baseline", dataset_id=i, dataset_version=1)
    metrics = run_training(cfg, copy, tmp_path / "run")
    test_uids = set(versions.rows(store, i, 1).query("split == 'test'")["uid"])
    assert metrics["data_version"] == {"dataset_id": i, "version": 1}
    assert set(pd.read_parquet(tmp_path / "run" / "predictions.parquet")["uid"]) == test_uids
    with pytest.raises(DataError, match="not a dataset version's rows file"):
        run_training(cfg, tiny_csv, tmp_path / "run2")
    with pytest.raises(DataError, match="go together"):
        TrainConfig(dataset_id=i)
