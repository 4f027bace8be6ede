"""What every job's worker does, written once: stop when asked, report progress, end with one `end` event,
and move the queue on.

    with job_process(args.progress) as worker:          # SIGTERM -> worker.should_stop(); at exit, the next job
        worker.run(lambda: do_the_work(on_progress=worker.log, should_stop=worker.should_stop))

One stop protocol: the work calls `check_stop(should_stop)` (core.contenders.base) between units and it raises
`FitStopped`; `Worker.run` turns that into an `end` event with status "cancelled". A DataError ends "failed"
with its sentence, any other exception "failed" with its type (and is re-raised, so the CLI prints it). The
`end` event is what the runner (core.jobs) settles a job from; a worker that dies before writing one is
settled from its exit code instead.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from core.contenders.base import FitStopped, check_stop
from core.errors import DataError
from core.jobs import STORE_ENV, JobRunner
from core.progress import progress_sink
from core.store import JobStatus, Store

T = TypeVar("T")
log = logging.getLogger("tunelab.worker")


class Worker:
    """One job's progress sink and stop flag, and the `end` event that closes its progress file."""

    def __init__(self, log: Callable[[dict], None] | None = None, should_stop: Callable[[], bool] | None = None):
        self.log = log or (lambda event: None)
        self._asked = should_stop  # the caller's own flag (a test's, or an in-process run's)
        self._terminated = False  # set by SIGTERM: the app's Cancel
        self.status = JobStatus.DONE  # the work may say "cancelled" when it stopped early but kept a result
        self.end: dict = {}  # fields the work adds to the end event: rows, issues, best_step

    def terminate(self) -> None:
        self._terminated = True

    def should_stop(self) -> bool:
        return self._terminated or bool(self._asked and self._asked())

    def check_stop(self) -> None:
        """Raise FitStopped when asked to stop; for work with nothing worth keeping yet."""
        check_stop(self.should_stop)

    def run(self, work: Callable[[], T]) -> T | None:
        """Run `work`, then write the end event: its status, the seconds it took, and why it failed.
        Returns what `work` returned, or None when it stopped with nothing to keep."""
        t0 = time.time()
        try:
            result = work()
        except FitStopped:
            self._end(JobStatus.CANCELLED, t0)
            return None
        except DataError as exc:
            self._end(JobStatus.FAILED, t0, error=str(exc))
            raise
        except Exception as exc:  # a bug: the run shows failed with a reason, and the CLI prints the traceback
            self._end(JobStatus.FAILED, t0, error=f"Unexpected error: {type(exc).__name__}: {exc}")
            raise
        self._end(self.status, t0, **self.end)
        return result

    def _end(self, status: JobStatus, t0: float, **fields) -> None:
        self.log({"event": "end", "status": str(status), **fields, "seconds": round(time.time() - t0, 2)})


@contextmanager
def job_process(progress=None, echo=None, main: bool = True) -> Iterator[Worker]:
    """The process around one job: progress goes to the `progress` file (else to `echo`), SIGTERM (the app's
    Cancel) makes `should_stop()` true, and however the work ends the queue moves on. Under a multi-process
    launch only the main process (`main`) writes progress or moves the queue."""
    worker = Worker(progress_sink(progress, echo) if main else None)
    signal.signal(signal.SIGTERM, lambda *_: worker.terminate())
    try:
        yield worker
    finally:
        if main:
            poll_after_worker()


def poll_after_worker() -> None:
    """A worker's last act: move its queue on (settle itself, start the next job), so the queue advances
    even when no server is running. A no-op outside the job queue."""
    root = os.environ.get(STORE_ENV)
    if not root or int(os.environ.get("RANK", "0")) != 0:  # under a multi-process launch, rank 0 speaks
        return
    try:
        JobRunner(Store(root)).poll()
    except Exception:  # never turn a finished job into a failed process
        log.exception("could not start the next queued job")
