"""A new type of job is one record: this test adds "count the rows of a file" in this file alone, and it
queues, runs, cancels and settles like a training, through the shared worker helper (core.worker)."""
from __future__ import annotations

import time

from core import job_types
from core.jobs import JobRunner
from core.store import JobStatus, Store

# The toy's worker: what a real job's CLI command does, in a dozen lines, through core.worker.
COUNT_ROWS = """
import sys, time
from core.runs import RunFolder
from core.worker import job_process

run = RunFolder(sys.argv[1])
pause = run.request()["pause"]
with job_process(run.progress_path) as worker:
    def work():
        lines = open(run.data_path(), encoding="utf-8").read().splitlines()
        for i in range(len(lines)):
            worker.check_stop()  # FitStopped after Cancel: the worker writes the 'cancelled' end event
            time.sleep(pause)
            worker.log({"event": "step", "step": i + 1, "total_steps": len(lines)})
        (run.path / "count.txt").write_text(str(len(lines)))
        worker.end["rows"] = len(lines)
    worker.run(work)
"""


def wait_for(runner, job_id, test, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        runner.poll()
        job = runner.store.get_job(job_id)
        if test(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stuck at {runner.store.get_job(job_id).status}")


def test_a_toy_job_type_queues_runs_cancels_and_settles(data_dir, monkeypatch):
    count = job_types.JobType("count", lambda run: ["-c", COUNT_ROWS, str(run.path)])
    monkeypatch.setitem(job_types._REGISTRY, "count", count)  # registered for this test only
    runner = JobRunner(Store(data_dir), max_concurrent=1)

    slow = runner.queue("count", "Count slowly", {"pause": 0.5}, b"row\n" * 200, ".txt")
    quick = runner.queue("count", "Count 3 rows", {"pause": 0}, b"a\nb\nc\n", ".txt")
    assert runner.store.get_job(quick).status == JobStatus.QUEUED and runner.queue_position(quick) == 1

    wait_for(runner, slow, lambda j: j.status == JobStatus.RUNNING and runner.folder(slow).progress())
    runner.cancel(slow)
    assert wait_for(runner, slow, lambda j: j.status in (JobStatus.CANCELLED, JobStatus.FAILED)).status == "cancelled"
    end = runner.folder(slow).end_event()
    assert end["status"] == "cancelled" and not (runner.folder(slow).path / "count.txt").exists()

    done = wait_for(runner, quick, lambda j: j.status not in (JobStatus.QUEUED, JobStatus.RUNNING))
    assert done.status == JobStatus.DONE and done.job_type == "count" and done.finished >= done.started
    assert runner.folder(quick).end_event()["rows"] == 3
    assert (runner.folder(quick).path / "count.txt").read_text() == "3"


def test_a_job_of_a_type_this_process_does_not_know_waits_for_one_that_does(data_dir):
    runner = JobRunner(Store(data_dir), max_concurrent=1)
    job_id = runner.queue("from-a-newer-version", "A job", {}, b"x\n", ".txt")
    runner.poll()
    assert runner.store.get_job(job_id).status == JobStatus.QUEUED  # not failed, not started
