"""Safe on a public Space: the queue moves with no browser, workers leave no zombies, a full or
read-only data folder is one sentence, and checkpoint and GGUF paths fail in words that say
nothing about what is on the server's disk."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections import namedtuple

import pytest

from core import store as store_module
from core.chat.loader import load_engine
from core.checkpoints import resolve_checkpoint
from core.config import TrainConfig
from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.errors import DataError
from core.jobs import JobRunner, start_background_poller
from core.store import StorageError, Store
from tests.conftest import DEMO, ROOT

READ_ONLY = "/sys/tunelab-test"  # /sys is a read-only file system, even for root


def wait_status(store: Store, job_id: str, statuses: tuple[str, ...], timeout: float = 90) -> str:
    """Wait by reading the index only: nothing here moves the queue."""
    end = time.time() + timeout
    while time.time() < end:
        status = store.get_job(job_id).status
        if status in statuses:
            return status
        time.sleep(0.3)
    raise AssertionError(f"{job_id} stuck in {store.get_job(job_id).status}")


@pytest.mark.slow
def test_queue_moves_with_nobody_polling(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir), max_concurrent=1)
    ids = [runner.submit(TrainConfig(name=f"job {i}"), tiny_csv) for i in range(3)]
    assert [runner.store.get_job(i).status for i in ids] == ["running", "queued", "queued"]
    for job_id in ids:  # no poll() from here on: no browser tab is open
        assert wait_status(runner.store, job_id, ("done", "failed")) == "done"


@pytest.mark.slow
def test_queue_moves_after_the_submitting_server_is_gone(data_dir, tiny_csv):
    code = ("import sys; from core.jobs import JobRunner; from core.store import Store; from core.config import TrainConfig;"
            f"r = JobRunner(Store({str(data_dir)!r}), max_concurrent=1);"
            f"print(' '.join(r.submit(TrainConfig(name=str(i)), {str(tiny_csv)!r}) for i in range(2)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    store = Store(data_dir)
    for job_id in out.stdout.split():  # the server process has exited; the first worker starts the second
        assert wait_status(store, job_id, ("done", "failed")) == "done"


def test_a_finished_worker_leaves_no_zombie(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    job_id = runner.submit(TrainConfig(), tiny_csv)
    pid = runner.store.get_job(job_id).pid
    wait_status(runner.store, job_id, ("done",))
    deadline = time.time() + 10
    while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{pid}"), open(f"/proc/{pid}/stat").read()


def test_background_poller_settles_a_worker_killed_while_no_server_watched(data_dir):
    store = Store(data_dir)
    gone = subprocess.Popen(["true"])
    gone.wait()  # a worker started by an earlier server, since vanished without a word
    store.add_job("20260101-000000-abcdef", "orphan", "baseline", None, {})
    store.update_job("20260101-000000-abcdef", status="running", pid=gone.pid, started=time.time())
    start_background_poller(store, every_s=0.2)
    assert wait_status(store, "20260101-000000-abcdef", ("failed",), timeout=10) == "failed"
    assert "stopped unexpectedly" in store.get_job("20260101-000000-abcdef").error


def test_read_only_data_folder_is_one_sentence_naming_it():
    with pytest.raises(StorageError, match=f"data folder {READ_ONLY} is read-only"):
        Store(READ_ONLY)


def test_full_disk_refuses_a_job_before_it_starts(data_dir, tiny_csv, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 2**20, 2**20))
    runner = JobRunner(Store(data_dir))
    with pytest.raises(StorageError, match="has 1 MB free, and this needs about 600 MB"):
        runner.submit(TrainConfig(model="finetune"), tiny_csv)
    assert runner.store.jobs() == []


def test_a_save_that_runs_out_of_space_leaves_nothing_half_written(data_dir, monkeypatch):
    store = Store(data_dir)
    ds = load_dataset(DEMO)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pandas.DataFrame.to_parquet", full)
    with pytest.raises(StorageError, match="is full"):
        save_dataset(store, ds, DEMO.read_bytes(), "demo.csv")
    assert list((data_dir / "datasets").iterdir()) == [] and store.datasets() == []


def test_training_that_cannot_save_cleans_up_and_says_why(tmp_path, tiny_csv, monkeypatch):
    from core.contenders.baseline import TfidfClassifier
    from core.train import run_training

    def full(self, path):
        (path / "half.bin").parent.mkdir(parents=True, exist_ok=True)
        (path / "half.bin").write_bytes(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(TfidfClassifier, "save", full)
    with pytest.raises(StorageError, match="is full"):
        run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    assert not (tmp_path / "run" / "model").exists() and not (tmp_path / "run" / "metrics.json").exists()


def test_unusable_checkpoint_paths_get_the_same_sentence_whether_they_exist_or_not():
    messages = set()
    for spec in ["/etc", "/nonexistent/folder", "./models/x", "/etc/passwd", "/root"]:
        with pytest.raises(DataError) as err:
            resolve_checkpoint(spec)
        messages.add(str(err.value).replace(spec, "P"))
    assert len(messages) == 1, messages
    assert "is not a model folder Tunelab can use" in messages.pop()


def test_a_pickle_only_checkpoint_is_refused_in_words(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(DataError, match="pickle files such as pytorch_model.bin are never loaded"):
        resolve_checkpoint(str(tmp_path))


def test_bad_and_missing_gguf_files_get_the_same_sentence(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF but not really" * 10)
    messages = []
    for path in (bad, tmp_path / "missing.gguf"):
        with pytest.raises(DataError) as err:
            load_engine(str(path))
        messages.append(str(err.value).replace(str(path), "P"))
    assert messages[0] == messages[1] and "not a GGUF model file" in messages[0]


def test_hub_ids_still_say_hub_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from core.checkpoints import load_tokenizer

    with pytest.raises(DataError, match="needs the Hugging Face Hub|Hub downloads are switched off"):
        load_tokenizer("someorg/some-model")
