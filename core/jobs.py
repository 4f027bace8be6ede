"""The job queue: trainings, file classifications and label checks run as their own processes, never in
the web server.

Lifecycle (core.store.JobStatus): queued -> running -> done | failed | cancelled. `poll()` settles
finished or vanished workers and starts queued jobs while fewer than `max_concurrent` run; starting
happens under SQLite's write lock, so two pollers start a job once. A job's command comes from its type's
record (core.job_types); the worker runs in its own session so a server restart does not kill it, and
writes its folder's progress.jsonl through core.worker, whose `end` event settles the job.

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
import threading
import time
from pathlib import Path

from core import job_types
from core.chat.endpoints import VISITOR_KEY_ENV
from core.config import TrainConfig
from core.contenders import registry
from core.data import versions
from core.data.datasets import SAFE_EXT, read_report
from core.errors import DataError
from core.i18n import translator
from core.runs import RunFolder, readable_name
from core.store import ACTIVE, Job, JobStatus, Store, new_id, require_free_space

REPO_ROOT = Path(__file__).resolve().parent.parent
STORE_ENV = "TUNELAB_JOB_STORE"  # set in a worker's environment: the data directory whose queue it belongs to
log = logging.getLogger("tunelab.jobs")
# Workers this process spawned, by job id (never by pid: pids are reused): a watcher thread owns each
# one's reaping, and records its exit code here. Process-wide, not per user.
_watched: set[str] = set()
_exit_codes: dict[str, int] = {}
# Keys visitors typed for their own LLM servers, by job id: in this process's memory until the job's worker starts
# with it in its environment (VISITOR_KEY_ENV). Never written; a job whose key this process does not hold waits for
# the process that does (a server restart loses it: the job stays queued until cancelled).
_visitor_keys: dict[str, str] = {}


def max_concurrent_default() -> int:
    """One training at a time: on 2 cores a second job only halves both."""
    return max(1, int(os.environ.get("TUNELAB_MAX_CONCURRENT", "1")))


class JobRunner:
    """Queue, start, watch and cancel the jobs stored in a `Store`: trainings, file classifications, label checks."""

    def __init__(self, store: Store, max_concurrent: int | None = None):
        self.store = store
        self.max_concurrent = max_concurrent_default() if max_concurrent is None else max_concurrent

    def submit(self, config: TrainConfig, data_path: str | Path | None = None, dataset_id: str | None = None,
               dataset_name: str = "", lang: str = "en", api_key: str | None = None) -> str:
        """Queue a training of `config` on `data_path`; returns the job id (also the run folder name). A config
        naming a dataset version (dataset_id, dataset_version) trains on that version's rows and test split.
        A config without a name gets a readable one made from what it is (in `lang`)."""
        tag = config.data_version()
        if tag:
            dataset_id = tag["dataset_id"]
            data_path = data_path or versions.rows_path(self.store, dataset_id, tag["version"])
        if data_path is None:
            raise DataError("Pick the data to train on.")
        require_free_space(self.store.root, registry.get(config.model).disk_mb)
        job_id = new_id()
        generated = not config.name
        if generated:
            when, dataset = time.time(), dataset_name or Path(data_path).stem
            config = config.with_(name=readable_name(config, dataset, when, lang=lang))
        self.folder(job_id).create(config, data_path)
        self._hold_key(job_id, api_key)
        if generated:  # made again at display time, in the reader's language
            self.folder(job_id).save_name_parts(dataset, when)
        self.store.add_job(job_id, config.name, config.model, dataset_id, config.to_dict(), job_type="train")
        self.poll()
        return job_id

    def queue(self, job_type: str, name: str, request: dict, data: bytes | Path, extension: str = "",
              model: str = "", dataset_id: str | None = None, api_key: str | None = None) -> str:
        """Queue a job of a registered type (core.job_types) on one file: `data`'s bytes are copied into the
        job's folder as input`extension` (an extension from a fixed list), or an existing file of the data
        directory is pointed at; `request` is what the worker reads back. Returns the job id."""
        job_id = new_id()
        self.folder(job_id).create_batch(data, extension, request)
        self._hold_key(job_id, api_key)
        self.store.add_job(job_id, name, model or job_type, dataset_id, request, job_type=job_type)
        self.poll()
        return job_id

    def _hold_key(self, job_id: str, api_key: str | None) -> None:
        """A visitor's key for the server they typed: memory only, handed to the job's worker at its start; the folder
        gets a marker (never the key) so other processes leave the job to this one."""
        if api_key:
            _visitor_keys[job_id] = api_key
            self.folder(job_id).needs_key.touch()

    def retrain(self, job_ids: list[str], dataset_id: str, version: int | None = None, lang: str = "en") -> list[str]:
        """Repeat finished runs' recipes (their config.json) on a version of their dataset; returns the new
        job ids. Names are made afresh so the version shows: 'Baseline · tickets v3 · ...'."""
        target = versions.get(self.store, dataset_id, version) if version else versions.latest(self.store, dataset_id)
        name = next((d["name"] for d in self.store.datasets() if d["id"] == dataset_id), "data")
        configs = [self.folder(j).config() for j in job_ids]
        if not job_ids or None in configs:
            raise DataError("Pick finished runs to repeat; one of these has no recipe to repeat.")
        order = [spec.kind for spec in registry.all_specs()]  # cheapest first: the baseline's result comes in seconds
        configs.sort(key=lambda c: order.index(c.model) if c.model in order else len(order))
        return [self.submit(c.with_(name="", dataset_id=dataset_id, dataset_version=target.n),
                            dataset_name=f"{Path(name).stem} {target.tag}", lang=lang) for c in configs]

    def submit_batch(self, model_job_id: str, data: bytes, filename: str, text_col: str | None = None,
                     lang: str = "en") -> str:
        """Queue the classification of a whole uploaded file by a trained run; returns the job id.
        The result (the file's columns plus pred, confidence, p:<class>) lands in the job's folder."""
        model_run = self.folder(model_job_id)
        if model_run.metrics() is None:
            raise DataError("That model has not finished training; pick a finished one.")
        require_free_space(self.store.root, 4 * len(data) // 2**20 + 10)  # input, output with probabilities
        ext = Path(filename).suffix.lower()
        request = {"model_job": model_job_id, "filename": Path(filename).name[:200], "text_col": text_col}
        _ = translator(lang)
        name = _("Classify {file} with {model}", file=Path(filename).name[:80], model=model_run.name)
        return self.queue("predict", name, request, data, ext if ext in SAFE_EXT else ".bin", model=model_run.kind)

    def submit_export(self, model_job_id: str, lang: str = "en") -> str:
        """Queue the OpenVINO int8 export of a finished fine-tune (core.deploy.openvino); it lands in the model's
        own folder, where serving and prediction find it. Returns the job id."""
        from core.deploy.exported import exportable  # put off: the deploy package is not needed to queue training

        model_run = self.folder(model_job_id)
        if not exportable(model_run):
            raise DataError("Only a finished fine-tuned Transformer can be made faster this way; the other models "
                            "are already fast on a CPU.")
        require_free_space(self.store.root, 250)  # fp32 and int8 files of a MiniLM: ~115 MB
        _ = translator(lang)
        name = _("Make {model} fast on CPUs", model=model_run.name)
        return self.queue("export", name, {"model_job": model_job_id}, model_run.path, model=model_run.kind)

    def submit_label_check(self, dataset_id: str, lang: str = "en") -> str:
        """Queue the label check of a dataset's newest version (core.trust.quality); the result lands in the job's
        folder, its `row` numbers are positions in that version's rows file (request["version"])."""
        report, version = read_report(self.store, dataset_id), versions.latest(self.store, dataset_id)
        request = {"dataset_id": dataset_id, "version": version.n, "text_col": "text", "label_col": "label"}
        _ = translator(lang)
        name = _("Check the labels of {file} {version}", file=str(report.get("filename", "data"))[:80],
                 version=version.tag)
        return self.queue("quality", name, request, versions.rows_path(self.store, dataset_id, version.n),
                          dataset_id=dataset_id)

    def poll(self) -> None:
        """Settle running jobs, then start queued ones while there is room."""
        for job in self.store.jobs((JobStatus.RUNNING,)):
            self._settle(job)
        with self.store.connect(immediate=True) as db:
            running = db.execute("SELECT COUNT(*) FROM jobs WHERE status=?", (JobStatus.RUNNING,)).fetchone()[0]
            room = max(0, self.max_concurrent - running)
            queued = db.execute("SELECT id, job_type FROM jobs WHERE status=? ORDER BY created",
                                (JobStatus.QUEUED,)).fetchall() if room else []
            for row in queued:
                cmd = job_types.command(row["job_type"], self.folder(row["id"]))
                if cmd is None:  # a type this process does not know (a newer version's): left for one that does
                    continue
                if row["id"] not in _visitor_keys and self.folder(row["id"]).needs_key.exists():
                    continue  # its key is in another process's memory: that one starts it
                pid = self._spawn(row["id"], cmd)
                self.store.update_job(row["id"], db=db, status=JobStatus.RUNNING, pid=pid, started=time.time())
                room -= 1
                if not room:
                    break

    def folder(self, job_id: str) -> RunFolder:
        """The folder of a job (its id is the folder's name): a training's run folder, or another job's."""
        return RunFolder(self.store.run_dir(job_id))

    def rename(self, job_id: str, name: str) -> str:
        """Rename a run everywhere it is shown: its folder (for the report and the CLI) and the index."""
        name = self.folder(job_id).rename(name)
        self.store.update_job(job_id, name=name)
        return name

    def _spawn(self, job_id: str, cmd: list[str]) -> int:
        run = self.folder(job_id)
        env = {k: v for k, v in os.environ.items() if k != VISITOR_KEY_ENV}  # never one visitor's key to another's job
        if job_id in _visitor_keys:
            env[VISITOR_KEY_ENV] = _visitor_keys.pop(job_id)
        env = {**env, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
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
        end = self.folder(job.id).end_event()
        if end is not None:
            if job.id not in _watched:  # a watcher thread reaps its own worker
                _reap(job.pid)
            self.store.update_job(job.id, status=JobStatus(end.get("status", JobStatus.FAILED)),
                                  finished=end.get("t", time.time()),
                                  error=end.get("error"))
            return
        if job.id in _watched:  # ours: alive until the watcher has recorded how it ended
            alive, code = job.id not in _exit_codes, _exit_codes.get(job.id)
        else:  # a worker of an earlier server process, or of a worker that chained it
            alive, code = process_state(job.pid)
        if alive:
            return
        if job.cancel_requested:
            self.store.update_job(job.id, status=JobStatus.CANCELLED, finished=time.time())
        else:
            why = f"exit code {code}" if code is not None else "the process disappeared"
            self.store.update_job(job.id, status=JobStatus.FAILED, finished=time.time(),
                                  error=f"The {'training' if job.job_type == 'train' else 'job'}'s process stopped "
                                        f"unexpectedly ({why}).")

    def cancel(self, job_id: str) -> None:
        """Queued: dropped at once. Running: SIGTERM; the worker stops within a step, keeps what is worth
        keeping, and ends 'cancelled' (core.worker)."""
        job = self.store.get_job(job_id)
        if job is None or job.status not in ACTIVE:
            return
        if job.status == JobStatus.QUEUED:
            self.store.update_job(job_id, status=JobStatus.CANCELLED, finished=time.time())
            return
        self.store.update_job(job_id, cancel_requested=1)
        if job.pid:
            try:
                os.kill(job.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None if the job is not queued."""
        queued = sorted(self.store.jobs((JobStatus.QUEUED,)), key=lambda j: j.created)
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
