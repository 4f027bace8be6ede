"""Archive or delete runs and datasets (an hour of use left 12 jobs; every Start adds more).

Archive hides a run or a dataset from every list and picker and keeps its files (restore brings it back);
delete removes its folder and its row for good. What something else still needs is protected, in one sentence:
a run or dataset in use by a queued or running job, and a dataset that runs were trained on (their versions,
test rows and "retrain" need it: delete or archive those runs first). The API serves from run folders it
loaded at start, so deleting a served run changes nothing for the server until it restarts.
"""
from __future__ import annotations

import json
import shutil

from core.errors import DataError
from core.store import ACTIVE, FINAL, ID_RE, Store


def archive_run(store: Store, job_id: str, archived: bool = True) -> None:
    job = _job(store, job_id)
    if job.status not in FINAL:
        raise DataError("This run has not finished; cancel it or let it finish before archiving it.")
    store.update_job(job_id, archived=int(archived))


def delete_run(store: Store, job_id: str) -> None:
    """Remove a finished run's folder and its row; refused while a job uses it."""
    job = _job(store, job_id)
    if job.status not in FINAL:
        raise DataError("This run has not finished; cancel it first, then delete it.")
    users = [j for j in store.jobs(ACTIVE, job_type="predict") if _request(store, j.id).get("model_job") == job_id]
    if users:
        raise DataError("This model is classifying a file right now ({n} job(s)); delete it when they have "
                        "finished.", n=len(users))
    shutil.rmtree(store.run_dir(job_id), ignore_errors=True)
    store.delete_job(job_id)


def archive_dataset(store: Store, dataset_id: str, archived: bool = True) -> None:
    _dataset(store, dataset_id)
    store.update_dataset(dataset_id, archived=int(archived))


def delete_dataset(store: Store, dataset_id: str) -> None:
    """Remove a dataset's folder (every version, the queue, label checks) and its row; refused while runs
    trained on it exist or a job works on it."""
    _dataset(store, dataset_id)
    jobs = [j for j in store.jobs(limit=100_000) if j.dataset_id == dataset_id]
    if any(j.status in ACTIVE for j in jobs):
        raise DataError("A job is working on this dataset right now; delete it when the job has finished.")
    runs = [j for j in jobs if j.job_type == "train"]
    if runs:
        raise DataError("{n} run(s) were trained on this dataset and need it (its versions and test rows); delete "
                        "them first, or archive the dataset instead.", n=len(runs))
    for job in jobs:  # its label checks
        shutil.rmtree(store.run_dir(job.id), ignore_errors=True)
        store.delete_job(job.id)
    shutil.rmtree(store.dataset_dir(dataset_id), ignore_errors=True)
    store.delete_dataset(dataset_id)


def _job(store: Store, job_id: str):
    job = store.get_job(job_id) if _is_id(job_id) else None
    if job is None:
        raise DataError("There is no run with the id '{id}'.", id=str(job_id)[:40])
    return job


def _dataset(store: Store, dataset_id: str) -> dict:
    found = next((d for d in store.datasets(archived=None) if d["id"] == dataset_id), None)
    if found is None:
        raise DataError("There is no dataset with the id '{id}'.", id=str(dataset_id)[:40])
    return found


def _request(store: Store, job_id: str) -> dict:
    path = store.run_dir(job_id) / "request.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _is_id(value: str) -> bool:
    return bool(ID_RE.match(value or ""))


def require_yes(yes: bool, what: str) -> None:
    """Deleting is for good: the CLI asks for --yes, and says what archiving would keep."""
    if not yes:
        raise DataError("Deleting removes the {what} for good; add --yes to confirm (or archive it instead).",
                        what=what)
