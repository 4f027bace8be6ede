"""The job queue: subprocess workers, one at a time, cancel, and crash detection."""
from __future__ import annotations

import os
import signal
import time

import pytest

from core import job_types
from core.config import TrainConfig
from core.jobs import JobRunner
from core.store import Store


def wait_for(runner, job_id, statuses, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        runner.poll()
        job = runner.store.get_job(job_id)
        if job.status in statuses:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} stuck in {runner.store.get_job(job_id).status}")


@pytest.mark.slow
def test_two_jobs_queue_then_both_finish(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir), max_concurrent=1)
    a = runner.submit(TrainConfig(model="baseline", name="first"), tiny_csv)
    b = runner.submit(TrainConfig(model="baseline", name="second"), tiny_csv)
    assert runner.store.get_job(a).status == "running" and runner.store.get_job(b).status == "queued"
    assert runner.queue_position(b) == 1
    assert wait_for(runner, a, ("done",)).status == "done"
    assert wait_for(runner, b, ("done",)).status == "done"
    assert (runner.store.run_dir(b) / "metrics.json").is_file()
    # a second Store on the same directory (another server process) sees the same runs
    assert {j.id for j in Store(data_dir).jobs(("done",))} == {a, b}


@pytest.mark.slow
def test_killed_job_is_reported_failed(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    job_id = runner.submit(TrainConfig(model="finetune", epochs=50, batch_size=4, max_length=32), tiny_csv)
    job = runner.store.get_job(job_id)
    os.kill(job.pid, signal.SIGKILL)
    job = wait_for(runner, job_id, ("failed",))
    assert "stopped unexpectedly" in job.error and "-9" in job.error


@pytest.mark.slow
def test_cancel_stops_a_running_finetune_within_seconds(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    job_id = runner.submit(TrainConfig(model="finetune", epochs=50, batch_size=4, max_length=32), tiny_csv)
    run = runner.folder(job_id)
    end = time.time() + 120
    while not any(e.get("event") == "step" for e in run.progress()) and time.time() < end:
        time.sleep(0.3)
    t0 = time.time()
    runner.cancel(job_id)
    job = wait_for(runner, job_id, ("cancelled", "failed"), timeout=60)
    assert job.status == "cancelled" and time.time() - t0 < 30
    assert run.progress()[-1]["status"] == "cancelled"


def test_cancel_queued_job(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir), max_concurrent=1)
    a = runner.submit(TrainConfig(model="baseline"), tiny_csv)
    b = runner.submit(TrainConfig(model="baseline"), tiny_csv)
    runner.cancel(b)
    assert runner.store.get_job(b).status == "cancelled"
    wait_for(runner, a, ("done",))
    assert runner.store.get_job(b).status == "cancelled"


def test_ids_from_users_never_reach_a_path(data_dir):
    store = Store(data_dir)
    for bad in ["../../etc", "20240101-000000-abcdef/../../x", "/tmp/x", "", "run name"]:
        with pytest.raises(ValueError):
            store.run_dir(bad)
        with pytest.raises(ValueError):
            store.dataset_dir(bad)


def test_training_jobs_use_every_visible_gpu_through_accelerate(data_dir, tiny_csv, monkeypatch):
    runner = JobRunner(Store(data_dir), max_concurrent=0)  # queue only: nothing starts here
    ft = runner.submit(TrainConfig(model="finetune"), tiny_csv)
    base = runner.submit(TrainConfig(model="baseline"), tiny_csv)
    lora, llm = (runner.submit(TrainConfig(model=m), tiny_csv) for m in ("llm-lora", "llm"))
    monkeypatch.setenv("TUNELAB_GPUS", "4")
    cmd = job_types.command("train", runner.folder(ft))
    launch = cmd.index("accelerate.commands.launch")
    assert cmd[launch + 1:launch + 7] == ["--multi_gpu", "--num_processes", "4", "-m", "core", "train"]
    assert "accelerate.commands.launch" not in job_types.command("train", runner.folder(base))  # the baseline uses no GPU
    assert "accelerate.commands.launch" in job_types.command("train", runner.folder(lora))  # LoRA shards its rows
    # the prompted LLM trains nothing: four processes would each score every validation text
    assert "accelerate.commands.launch" not in job_types.command("train", runner.folder(llm))
    monkeypatch.setenv("TUNELAB_GPUS", "1")
    assert job_types.command("train", runner.folder(ft))[1:4] == ["-m", "core", "train"]
    monkeypatch.delenv("TUNELAB_GPUS")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert "2" in job_types.command("train", runner.folder(ft))


def test_an_index_written_before_job_types_were_named_loads(data_dir):
    """Indexes before Dec 2026 called a job's type `kind` (the word a contender's type has)."""
    import sqlite3

    data_dir.mkdir()
    db = sqlite3.connect(data_dir / "index.sqlite")
    db.executescript("CREATE TABLE jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, model TEXT NOT NULL, dataset_id TEXT,"
                     " status TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL, pid INTEGER, error TEXT,"
                     " cancel_requested INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL,"
                     " kind TEXT NOT NULL DEFAULT 'train');"
                     "INSERT INTO jobs (id, name, model, status, created, config, kind) VALUES "
                     "('20261130-120000-abcdef', 'Classify a file', 'baseline', 'done', 1, '{}', 'predict');")
    db.close()
    store = Store(data_dir)
    assert [j.job_type for j in store.jobs()] == ["predict"]
    assert store.jobs(job_type="train") == [] and Store(data_dir).count_jobs(("done",), job_type="predict") == 1
