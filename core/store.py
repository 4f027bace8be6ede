"""The data directory: uploaded datasets, run folders and one SQLite index.

TUNELAB_DATA_DIR/ index.sqlite  datasets/<id>/  runs/<id>/
The index (WAL mode) is the only shared mutable state; every browser session
and worker opens its own connection. Ids are generated (time + random), never
taken from user text, so nothing a user types reaches a path.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
FINAL = ("done", "failed", "cancelled")


def default_data_dir() -> Path:
    """TUNELAB_DATA_DIR, else ~/.tunelab (outside the source tree, survives a git clean)."""
    return Path(os.environ.get("TUNELAB_DATA_DIR") or Path.home() / ".tunelab").expanduser()


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

    @property
    def config_dict(self) -> dict:
        return json.loads(self.config)


class Store:
    """Datasets, runs and the job index under one data directory."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root else default_data_dir()
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        (self.root / "datasets").mkdir(parents=True, exist_ok=True)
        db = self._open()
        db.executescript(SCHEMA)  # executescript commits on its own, so it stays outside connect()
        db.close()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, and vice versa
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @contextmanager
    def connect(self, immediate: bool = False):
        """A short-lived connection in one transaction; `immediate` takes the write lock
        up front so two pollers cannot both start the same queued job."""
        db = self._open()
        try:
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def run_dir(self, job_id: str) -> Path:
        return self._safe("runs", job_id)

    def dataset_dir(self, dataset_id: str) -> Path:
        return self._safe("datasets", dataset_id)

    def _safe(self, kind: str, ident: str) -> Path:
        if not ID_RE.match(ident or ""):  # ids are ours; anything else is a path-escape attempt or a typo
            raise ValueError(f"not a valid id: {ident!r}")
        return self.root / kind / ident

    # jobs
    def add_job(self, job_id: str, name: str, model: str, dataset_id: str | None, config: dict) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO jobs (id, name, model, dataset_id, status, created, config) VALUES (?,?,?,?,?,?,?)",
                       (job_id, name, model, dataset_id, "queued", time.time(), json.dumps(config)))

    def get_job(self, job_id: str) -> Job | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return Job(**dict(row)) if row else None

    def jobs(self, statuses: tuple[str, ...] | None = None, limit: int = 500) -> list[Job]:
        """Newest first."""
        with self.connect() as db:
            if statuses:
                marks = ",".join("?" * len(statuses))
                rows = db.execute(f"SELECT * FROM jobs WHERE status IN ({marks}) ORDER BY created DESC LIMIT ?",
                                  (*statuses, limit)).fetchall()
            else:
                rows = db.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [Job(**dict(r)) for r in rows]

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

    def datasets(self) -> list[dict]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM datasets ORDER BY created DESC").fetchall()
        return [{**dict(r), "classes": json.loads(r["classes"] or "{}")} for r in rows]
