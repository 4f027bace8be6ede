"""The training queue: jobs run as their own processes, never in the web server.

Lifecycle: queued -> running -> done | failed | cancelled. `poll()` settles
finished or vanished workers and starts queued jobs while fewer than
`max_concurrent` run; starting happens under SQLite's write lock, so two pollers
start a job once. The worker is `python -m core train ...`, in its own session so
a server restart does not kill it; it writes RUN_DIR/progress.jsonl.

The queue moves with no browser open, three ways: the process that spawned a
worker waits for it in a thread (reaping it at once, so no zombie lingers) and
polls when it exits; a worker polls as its last act (so the queue also moves
after the server restarted); and the app runs one background poller per data
directory (`start_background_poller`), which settles workers that were killed.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from core.config import TrainConfig
from core.runs import RunFolder, readable_name
from core.contenders import registry
from core.errors import DataError
from core.i18n import translator
from core.store import Job, Store, new_id, require_free_space

REPO_ROOT = Path(__file__).resolve().parent.parent
STORE_ENV = "TUNELAB_JOB_STORE"  # set in a worker's environment: the data directory whose queue it belongs to
log = logging.getLogger("tunelab.jobs")
# Workers this process spawned, by job id (never by pid: pids are reused): a watcher thread owns each
# one's reaping, and records its exit code here. Process-wide, not per user.
_watched: set[str] = set()
_exit_codes: dict[str, int] = {}


def max_concurrent_default() -> int:
    """One training at a time: on 2 cores a second job only halves both."""
    return max(1, int(os.environ.get("TUNELAB_MAX_CONCURRENT", "1")))


class JobRunner:
    """Queue, start, watch and cancel the jobs stored in a `Store`: trainings, file classifications, label checks."""

    def __init__(self, store: Store, max_concurrent: int | None = None):
        self.store = store
        self.max_concurrent = max_concurrent_default() if max_concurrent is None else max_concurrent

    def submit(self, config: TrainConfig, data_path: str | Path, dataset_id: str | None = None,
               dataset_name: str = "", lang: str = "en") -> str:
        """Queue a run of `config` on `data_path`; returns the job id (also the run folder name).
        A config without a name gets a readable one made from what it is (in `lang`)."""
        require_free_space(self.store.root, registry.get(config.model).disk_mb)
        job_id = new_id()
        generated = not config.name
        if generated:
            when, dataset = time.time(), dataset_name or Path(data_path).stem
            config = config.with_(name=readable_name(config, dataset, when, lang=lang))
        self.run(job_id).create(config, data_path)
        if generated:  # made again at display time, in the reader's language
            self.run(job_id).save_name_parts(dataset, when)
        self.store.add_job(job_id, config.name, config.model, dataset_id, config.to_dict())
        self.poll()
        return job_id

    def retrain(self, job_ids: list[str], dataset_id: str, version: int | None = None, lang: str = "en") -> list[str]:
        """Repeat finished runs' recipes (their config.json) on a version of their dataset; returns the new
        job ids. Names are made afresh so the version shows: 'Baseline · tickets v3 · ...'."""
        from core import versions

        target = versions.get(self.store, dataset_id, version) if version else versions.latest(self.store, dataset_id)
        name = next((d["name"] for d in self.store.datasets() if d["id"] == dataset_id), "data")
        configs = [self.run(j).config() for j in job_ids]
        if not job_ids or None in configs:
            raise DataError("Pick finished runs to repeat; one of these has no recipe to repeat.")
        order = [spec.kind for spec in registry.all_specs()]  # cheapest first: the baseline's result comes in seconds
        configs.sort(key=lambda c: order.index(c.model) if c.model in order else len(order))
        return [self.submit(c.with_(name=""), versions.rows_path(self.store, dataset_id, target.n), dataset_id,
                            f"{Path(name).stem} {target.tag}", lang) for c in configs]

    def submit_batch(self, model_job_id: str, data: bytes, filename: str, text_col: str | None = None,
                     lang: str = "en") -> str:
        """Queue the classification of a whole uploaded file by a trained run; returns the job id.
        The result (the file's columns plus pred, confidence, p:<class>) lands in the job's folder."""
        from core.datasets import SAFE_EXT

        model_run = self.run(model_job_id)
        if model_run.metrics() is None:
            raise DataError("That model has not finished training; pick a finished one.")
        require_free_space(self.store.root, 4 * len(data) // 2**20 + 10)  # input, output with probabilities
        job_id = new_id()
        ext = Path(filename).suffix.lower()
        request = {"model_job": model_job_id, "filename": Path(filename).name[:200], "text_col": text_col}
        self.run(job_id).create_batch(data, ext if ext in SAFE_EXT else ".bin", request)
        _ = translator(lang)
        name = _("Classify {file} with {model}", file=Path(filename).name[:80], model=model_run.name)
        self.store.add_job(job_id, name, model_run.kind, None, request, kind="predict")
        self.poll()
        return job_id

    def submit_label_check(self, dataset_id: str, lang: str = "en") -> str:
        """Queue the label check of a dataset's newest version (core.quality); the result lands in the job's
        folder, its `row` numbers are positions in that version's rows file (request["version"])."""
        from core import versions
        from core.datasets import read_report

        report, version = read_report(self.store, dataset_id), versions.latest(self.store, dataset_id)
        job_id = new_id()
        request = {"dataset_id": dataset_id, "version": version.n, "text_col": "text", "label_col": "label"}
        self.run(job_id).create_batch(versions.rows_path(self.store, dataset_id, version.n), "", request)
        _ = translator(lang)
        name = _("Check the labels of {file} {version}", file=str(report.get("filename", "data"))[:80],
                 version=version.tag)
        self.store.add_job(job_id, name, "quality", dataset_id, request, kind="quality")
        self.poll()
        return job_id

    def poll(self) -> None:
        """Settle running jobs, then start queued ones while there is room."""
        for job in self.store.jobs(("running",)):
            self._settle(job)
        with self.store.connect(immediate=True) as db:
            running = db.execute("SELECT COUNT(*) FROM jobs WHERE status='running'").fetchone()[0]
            queued = db.execute("SELECT id, kind FROM jobs WHERE status='queued' ORDER BY created LIMIT ?",
                                (max(0, self.max_concurrent - running),)).fetchall()
            for row in queued:
                pid = self._spawn(row["id"], self._command(row["id"], row["kind"]))
                self.store.update_job(row["id"], db=db, status="running", pid=pid, started=time.time())

    def run(self, job_id: str) -> RunFolder:
        """The run folder of a job (its id is the folder's name)."""
        return RunFolder(self.store.run_dir(job_id))

    def rename(self, job_id: str, name: str) -> str:
        """Rename a run everywhere it is shown: its folder (for the report and the CLI) and the index."""
        name = self.run(job_id).rename(name)
        self.store.update_job(job_id, name=name)
        return name

    def _command(self, job_id: str, kind: str) -> list[str]:
        """The worker's command line: the same CLI a user would type."""
        run = self.run(job_id)
        if kind == "quality":
            request = run.request()
            cmd = ["label-issues", run.data_path(), "--text-col", request["text_col"], "--label-col",
                   request["label_col"], "--json-out", str(run.label_report_path), "--progress", str(run.progress_path)]
        elif kind == "predict":
            request = run.request()
            cmd = ["predict", str(self.run(request["model_job"]).path), run.data_path(),
                   "--out", str(run.labelled_path), "--progress", str(run.progress_path)]
            cmd += ["--text-col", request["text_col"]] if request.get("text_col") else []
        else:
            cmd = ["train", run.data_path(), "--out", str(run.path), "--config", str(run.config_path)]
            gpus = self.gpus()
            if gpus > 1 and registry.get(run.config().model).needs_torch:  # every GPU, one process each
                return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                        str(gpus), "-m", "core", *cmd]
        return [sys.executable, "-m", "core", *cmd]

    @staticmethod
    def gpus() -> int:
        from core.checkpoints import visible_gpus

        return visible_gpus()

    def _spawn(self, job_id: str, cmd: list[str]) -> int:
        run = self.run(job_id)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false", STORE_ENV: str(self.store.root)}
        with run.worker_log.open("ab") as out:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        _watched.add(job_id)
        threading.Thread(target=self._watch, args=(proc, job_id), daemon=True, name=f"watch-{job_id}").start()
        return proc.pid

    def _watch(self, proc: subprocess.Popen, job_id: str) -> None:
        """Wait for a worker, keep its exit code, and move the queue on as soon as it exits."""
        _exit_codes[job_id] = proc.wait()
        try:
            self.poll()
        except Exception:  # the data directory went away or is broken: the next poller reports it
            log.exception("polling after a worker exited failed")

    def _settle(self, job: Job) -> None:
        end = self.run(job.id).end_event()
        if end is not None:
            if job.id not in _watched:  # a watcher thread reaps its own worker
                _reap(job.pid)
            self.store.update_job(job.id, status=end.get("status", "failed"), finished=end.get("t", time.time()),
                                  error=end.get("error"))
            return
        if job.id in _watched:  # ours: alive until the watcher has recorded how it ended
            alive, code = job.id not in _exit_codes, _exit_codes.get(job.id)
        else:  # a worker of an earlier server process, or of a worker that chained it
            alive, code = process_state(job.pid)
        if alive:
            return
        if job.cancel_requested:
            self.store.update_job(job.id, status="cancelled", finished=time.time())
        else:
            why = f"exit code {code}" if code is not None else "the process disappeared"
            self.store.update_job(job.id, status="failed", finished=time.time(),
                                  error=f"The training process stopped unexpectedly ({why}).")

    def cancel(self, job_id: str) -> None:
        """Queued: dropped at once. Running: SIGTERM; the trainer stops within a step, saves, ends 'cancelled'."""
        job = self.store.get_job(job_id)
        if job is None or job.status not in ("queued", "running"):
            return
        if job.status == "queued":
            self.store.update_job(job_id, status="cancelled", finished=time.time())
            return
        self.store.update_job(job_id, cancel_requested=1)
        if job.pid:
            try:
                os.kill(job.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None if the job is not queued."""
        queued = sorted(self.store.jobs(("queued",)), key=lambda j: j.created)
        ids = [j.id for j in queued]
        return ids.index(job_id) + 1 if job_id in ids else None


def _reap(pid: int | None) -> int | None:
    """Collect a finished child's exit status so it does not linger as a zombie."""
    if not pid:
        return None
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if done else None


def poll_after_worker() -> None:
    """A worker's last act: move its queue on (settle itself, start the next job), so the
    queue advances even when no server is running. A no-op outside the job queue."""
    root = os.environ.get(STORE_ENV)
    if not root or int(os.environ.get("RANK", "0")) != 0:  # under a multi-process launch, rank 0 speaks
        return
    try:
        JobRunner(Store(root)).poll()
    except Exception:  # never turn a finished training into a failed process
        log.exception("could not start the next queued job")


def start_background_poller(store: Store, every_s: float = 2.0) -> threading.Thread:
    """A daemon thread that polls the queue of `store` every `every_s` seconds for the life of
    the process (or until the data directory disappears): settles killed workers and starts
    queued jobs with no browser open. The app starts one per data directory."""
    runner = JobRunner(store)

    def loop():
        while store.root.is_dir():
            try:
                runner.poll()
            except Exception:  # a full or read-only disk: pages say so; keep trying
                log.exception("background poll failed")
            time.sleep(every_s)

    thread = threading.Thread(target=loop, daemon=True, name=f"poller-{store.root.name}")
    thread.start()
    return thread


def process_state(pid: int | None) -> tuple[bool, int | None]:
    """(alive, exit code if known). Works for our own children (reaped here) and for
    workers started by an earlier server process (checked through /proc)."""
    if not pid:
        return False, None
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return False, os.waitstatus_to_exitcode(status)
        return True, None
    except ChildProcessError:
        pass
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(")")[-1].split()[0] != "Z", None
        except OSError:
            return False, None
    try:
        os.kill(pid, 0)
        return True, None
    except ProcessLookupError:
        return False, None
    except PermissionError:
        return True, None
