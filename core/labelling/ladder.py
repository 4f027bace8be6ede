"""The ladder from no labels to a checked dataset: queue (or resume) an LLM labelling job, save its labels as a
dataset whose test rows wait for a person, and record that person's check, which fixes the test split and makes
the labeller a teacher run scored on human labels (core.labelling.teacher).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from core.data import versions
from core.data.cleaning import dataset_from_raw
from core.data.datasets import SAFE_EXT, read_report, save_dataset
from core.data.reading import read_table
from core.errors import DataError
from core.i18n import translator
from core.labelling.llm_label import LabelSettings
from core.labelling.teacher import record_teacher
from core.runs import RunFolder, llm_name
from core.store import JobStatus, Store

JOB_TYPE = "llm-label"
# rows a person checks before any score is shown: at 100 rows a 90%-accurate model's 95% interval is about
# +-6 points (Wilson), narrow enough to rank contenders several points apart; 30 would be +-12
CHECK_ROWS = 100


def submit_labelling(runner, data: bytes, filename: str, settings: LabelSettings, text_col: str | None = None,
                     lang: str = "en", api_key: str | None = None) -> str:
    """Queue an LLM labelling of an upload; returns the job id. Its result is `labelled.csv` in the job's folder."""
    ext = Path(filename).suffix.lower()
    request = {"settings": asdict(settings), "filename": Path(filename).name[:200], "text_col": text_col}
    _ = translator(lang)
    name = _("Label {file} with {model}", file=Path(filename).name[:80], model=llm_name(settings.llm))
    return runner.queue(JOB_TYPE, name, request, data, ext if ext in SAFE_EXT else ".bin", model="llm",
                        api_key=api_key)


def resume_labelling(runner, job_id: str, api_key: str | None = None) -> str:
    """Queue a stopped or failed labelling again: the new job starts from the texts the old one scored."""
    old, job = runner.folder(job_id), runner.store.get_job(job_id)
    if job is None or job.job_type != JOB_TYPE or not old.request_path.is_file():
        raise DataError("That labelling job is not in the data folder any more; start the labelling again.")
    request = {**old.request(), "resume_from": job_id}
    return runner.queue(JOB_TYPE, job.name, request, Path(old.data_path()), model="llm", api_key=api_key)


def save_labelled(store: Store, job_id: str) -> str:
    """A finished labelling job's labels as a new dataset (v1: every row's source and confidence, about CHECK_ROWS
    test rows waiting for a person's check); returns the dataset id. Saved once: a second call returns the same."""
    job, run = store.get_job(job_id), RunFolder(store.run_dir(job_id))
    if job is None or job.status != JobStatus.DONE or not run.labelled_path.is_file():
        raise DataError("That labelling has not finished; wait for it, or resume it.")
    if job.dataset_id:
        return job.dataset_id
    request = run.request()
    settings = LabelSettings(**request["settings"])
    raw = read_table(run.labelled_path)  # read once: cleaned for the rows, and for the confidence column it keeps
    ds = dataset_from_raw(raw, text_col="text", label_col="label")
    ds.df["confidence"] = raw.df["confidence"].astype(float).values[ds.df["row"].values]
    ds.df["source"] = settings.source
    stem = Path(request.get("filename") or "texts").stem
    dataset_id = save_dataset(store, ds, run.labelled_path.read_bytes(), f"{stem} ({settings.source}).csv",
                              labelled_by={"job": job_id, "source": settings.source, "classes": settings.classes},
                              test_rows=CHECK_ROWS)
    store.update_job(job_id, dataset_id=dataset_id)
    return dataset_id


def save_first_labels(store: Store, rows: list[tuple[str, str]], filename: str) -> str:
    """Texts a person labelled with no model yet (the Label page's first ones) as a new dataset; returns its id.
    Refuses labels of fewer than two categories in one sentence."""
    from core.data.cleaning import clean
    from core.data.reading import RawTable

    frame = pd.DataFrame(rows, columns=["text", "label"])
    if frame["label"].nunique() < 2:
        raise DataError("Label texts of at least two categories first; a classifier needs two to tell apart.")
    data = frame.to_csv(index=False).encode("utf-8-sig")
    return save_dataset(store, clean(RawTable(frame), "text", "label"), data, f"{Path(filename).stem} (first labels).csv")


def waiting_check(store: Store, dataset_id: str) -> bool:
    """True while the newest version's test labels are an LLM's, not yet checked by a person."""
    return not versions.latest(store, dataset_id).checked


def check_sample(store: Store, dataset_id: str) -> pd.DataFrame:
    """The test rows a person checks: uid, text, the LLM's label and confidence (least confident first)."""
    frame = versions.rows(store, dataset_id)
    test = frame[frame["split"] == "test"]
    order = test["confidence"].astype(float) if "confidence" in test else pd.Series(0.0, index=test.index)
    return test.assign(confidence=order).sort_values("confidence", kind="stable")[
        ["uid", "text", "label", "confidence"]].reset_index(drop=True)


def confirm_check(store: Store, dataset_id: str, labels: dict[int, str]) -> tuple[versions.Version, str | None]:
    """A person's labels for the test sample ({uid: label}; unchanged rows confirmed as they are): a new version
    whose test labels are checked, and the teacher run scored on them (None when the labelling job is gone)."""
    sample = check_sample(store, dataset_id)
    missing = set(sample["uid"].astype(int)) - set(labels)
    if missing:
        raise DataError("{n} test text(s) have no label yet; confirm or correct every one.", n=len(missing))
    given = dict(zip(sample["uid"].astype(int), sample["label"], strict=True))
    edits = [{"uid": uid, "label": label, "source": "check"} for uid, label in labels.items() if given.get(uid) != label]
    version = versions.new_version(store, dataset_id, edits, check=True)
    return version, record_teacher(store, dataset_id, version)


def categories(store: Store, dataset_id: str) -> list[str]:
    """The categories named when an LLM labelled the dataset (some may have no row yet), else its classes."""
    by = read_report(store, dataset_id).get("labelled_by") or {}
    return list(by.get("classes") or versions.latest(store, dataset_id).classes)
