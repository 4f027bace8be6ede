"""The data directory: uploaded datasets, run folders and one SQLite index.

TUNELAB_DATA_DIR/ index.sqlite  datasets/<id>/  runs/<id>/
The index (WAL mode) is the only shared mutable state; every browser session
and worker opens its own connection. Ids are generated (time + random), never
taken from user text, so nothing a user types reaches a path.
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.errors import DataError

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, model TEXT NOT NULL, dataset_id TEXT, status TEXT NOT NULL,
  created REAL NOT NULL, started REAL, finished REAL, pid INTEGER, error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created);
CREATE TABLE IF NOT EXISTS datasets (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL, rows INTEGER, classes TEXT);
"""
ID_RE = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


class JobStatus(StrEnum):
    """A job's life: queued -> running -> done | failed | cancelled. The values are what the index and
    progress.jsonl's `end` events hold, so a plain string from either compares equal."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)  # a process runs or will: not to be deleted or archived
FINAL = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)  # settled: never changes again


def checked_id(ident: str) -> str:
    """`ident` when it is an id Tunelab made; anything else is a path-escape attempt or a typo."""
    if not ID_RE.match(ident or ""):
        raise ValueError(f"not a valid id: {ident!r}")
    return ident


class StorageError(DataError):
    """The data folder cannot be used (read-only, full, missing): one sentence naming the folder."""


def storage_error(root: Path, exc: BaseException) -> StorageError:
    """The plain sentence for an OSError or SQLite error about the data folder."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "full" in text or "no space" in text:
        return StorageError("Tunelab's data folder {root} is full; free some space on that disk, or point "
                            "TUNELAB_DATA_DIR at another folder.", root=root)
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) \
            or "readonly" in text or "read-only" in text or "permission" in text or "not permitted" in text:
        return StorageError("Tunelab's data folder {root} is read-only; make it writable, or point TUNELAB_DATA_DIR "
                            "at another folder.", root=root)
    return StorageError("Tunelab's data folder {root} cannot be used (it may be missing, read-only or full); check "
                        "it, or point TUNELAB_DATA_DIR at another folder.", root=root)


def require_free_space(folder: Path, megabytes: int) -> None:
    """Refuse to start work that will need `megabytes` on the disk holding `folder`."""
    free = shutil.disk_usage(_existing_parent(folder)).free / 2**20
    if free < megabytes:
        raise StorageError("The disk holding {folder} has {free:.0f} MB free, and this needs about {need} MB; "
                           "free some space first.", folder=folder, free=free, need=megabytes)


def _existing_parent(path: Path) -> Path:
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def default_data_dir() -> Path:
    """TUNELAB_DATA_DIR, else ~/.tunelab (outside the source tree, survives a git clean)."""
    return Path(os.environ.get("TUNELAB_DATA_DIR") or Path.home() / ".tunelab").expanduser()


def models_dir() -> Path:
    """Where models converted once are kept (the multilingual checkpoint, dequantised GGUFs): TUNELAB_MODELS_DIR,
    else the data directory's models/ (the tests share one across their temporary data directories)."""
    return Path(os.environ.get("TUNELAB_MODELS_DIR") or default_data_dir() / "models").expanduser()


def new_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class Job:
    id: str
    name: str
    model: str
    dataset_id: str | None
    status: str
    created: float
    started: float | None
    finished: float | None
    pid: int | None
    error: str | None
    cancel_requested: int
    config: str
    job_type: str = "train"  # a record of core.job_types: "train" (a run folder with a model), "predict", "quality"
    archived: int = 0  # hidden from lists and pickers, files kept (core.housekeeping)


class Store:
    """Datasets, runs and the job index under one data directory."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_data_dir()
        try:
            (self.root / "runs").mkdir(parents=True, exist_ok=True)
            (self.root / "datasets").mkdir(parents=True, exist_ok=True)
            db = self._open()
            db.executescript(SCHEMA)  # executescript commits on its own, so it stays outside connect()
            columns = {r["name"] for r in db.execute("PRAGMA table_info(jobs)")}
            if "kind" in columns:  # indexes before Dec 2026 called a job's type "kind", as contenders' are called
                db.execute("ALTER TABLE jobs RENAME COLUMN kind TO job_type")
            elif "job_type" not in columns:  # an older index still: every job was a training
                db.execute("ALTER TABLE jobs ADD COLUMN job_type TEXT NOT NULL DEFAULT 'train'")
            for table in ("jobs", "datasets"):  # archive (core.housekeeping) came later still
                if "archived" not in {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN archived INTEGER NOT NULL DEFAULT 0")
            db.close()
        except (OSError, sqlite3.Error) as exc:
            raise storage_error(self.root, exc) from exc

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, and vice versa
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @contextmanager
    def connect(self, immediate: bool = False):
        """A short-lived connection in one transaction; `immediate` takes the write lock
        up front so two pollers cannot both start the same queued job. A read-only, full
        or vanished data folder raises StorageError with one plain sentence."""
        try:
            db = self._open()
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except sqlite3.Error as exc:
            raise storage_error(self.root, exc) from exc
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise storage_error(self.root, exc) from exc
            raise
        finally:
            db.close()

    def run_dir(self, job_id: str) -> Path:
        return self._safe("runs", job_id)

    def dataset_dir(self, dataset_id: str) -> Path:
        return self._safe("datasets", dataset_id)

    def _safe(self, kind: str, ident: str) -> Path:
        return self.root / kind / checked_id(ident)

    # jobs
    def add_job(self, job_id: str, name: str, model: str, dataset_id: str | None, config: dict,
                job_type: str = "train") -> None:
        with self.connect() as db:
            db.execute("INSERT INTO jobs (id, name, model, dataset_id, status, created, config, job_type) "
                       "VALUES (?,?,?,?,?,?,?,?)",
                       (job_id, name, model, dataset_id, JobStatus.QUEUED, time.time(), json.dumps(config), job_type))

    def get_job(self, job_id: str) -> Job | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return Job(**dict(row)) if row else None

    def jobs(self, statuses: tuple[str, ...] | None = None, limit: int = 500, offset: int = 0,
             job_type: str | None = None, archived: bool | None = None) -> list[Job]:
        """Newest first; `offset` pages through long histories; `job_type` keeps "train", "predict" or "quality"
        jobs; `archived` keeps only archived (True) or only current (False) jobs."""
        clause, params = _job_filter(statuses, job_type, archived)
        with self.connect() as db:
            rows = db.execute(f"SELECT * FROM jobs {clause} ORDER BY created DESC LIMIT ? OFFSET ?",
                              (*params, limit, offset)).fetchall()
        return [Job(**dict(r)) for r in rows]

    def count_jobs(self, statuses: tuple[str, ...], job_type: str | None = None,
                   archived: bool | None = None) -> int:
        clause, params = _job_filter(statuses, job_type, archived)
        with self.connect() as db:
            return db.execute(f"SELECT COUNT(*) FROM jobs {clause}", params).fetchone()[0]

    def update_job(self, job_id: str, db=None, **fields) -> None:
        sets = ", ".join(f"{k}=?" for k in fields)
        if db is not None:
            db.execute(f"UPDATE jobs SET {sets} WHERE id=?", (*fields.values(), job_id))
            return
        with self.connect() as conn:
            conn.execute(f"UPDATE jobs SET {sets} WHERE id=?", (*fields.values(), job_id))

    # datasets
    def add_dataset(self, dataset_id: str, name: str, rows: int, classes: dict) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO datasets (id, name, created, rows, classes) VALUES (?,?,?,?,?)",
                       (dataset_id, name, time.time(), rows, json.dumps(classes)))

    def delete_job(self, job_id: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    def datasets(self, archived: bool | None = False) -> list[dict]:
        """Newest first; archived ones only when asked (True: only those, None: all)."""
        where = "" if archived is None else f"WHERE archived = {int(archived)}"
        with self.connect() as db:
            rows = db.execute(f"SELECT * FROM datasets {where} ORDER BY created DESC").fetchall()
        return [{**dict(r), "classes": json.loads(r["classes"] or "{}")} for r in rows]

    def update_dataset(self, dataset_id: str, **fields) -> None:
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.connect() as db:
            db.execute(f"UPDATE datasets SET {sets} WHERE id=?", (*fields.values(), dataset_id))

    def delete_dataset(self, dataset_id: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM datasets WHERE id=?", (dataset_id,))


def _job_filter(statuses: tuple[str, ...] | None, job_type: str | None,
                archived: bool | None = None) -> tuple[str, tuple]:
    """The WHERE clause and its parameters for jobs in `statuses` (any when None) of `job_type` (any when None),
    archived or not (either when None)."""
    where = [f"status IN ({','.join('?' * len(statuses))})"] if statuses else []
    where += ["job_type = ?"] if job_type else []
    where += [f"archived = {int(archived)}"] if archived is not None else []
    return (f"WHERE {' AND '.join(where)}" if where else ""), (*(statuses or ()), *([job_type] if job_type else []))
