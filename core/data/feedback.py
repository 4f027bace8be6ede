"""Corrections waiting to become a dataset version, and what a reviewer has already decided.

Three ways in, one queue per dataset: label review ("review"), a corrected prediction ("predict") and
labelling what matters ("active") append to datasets/<id>/pending.jsonl; the serving API's POST /v1/feedback
appends to feedback/feedback.jsonl, and each of those lines joins the queue of the dataset its model was
trained on. `apply` turns the queue into the next version; `dismiss` drops items. Every file is append-only
JSON lines under a lock, so two sessions (or API replicas) never tear a line.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import time
from pathlib import Path

from core.data import versions
from core.data.folder import DatasetFolder
from core.errors import DataError
from core.progress import read_progress as read_jsonl  # the same tolerant JSON-lines reader
from core.store import ID_RE, Store, storage_error

API_FEEDBACK = Path("feedback") / "feedback.jsonl"
MAX_TEXT = 20_000


def add(store: Store, dataset_id: str, items: list[dict], source: str) -> int:
    """Queue corrections: each {"label"} with "uid" (relabel a row) or "text" (a new or corrected text)."""
    now, out = round(time.time(), 3), []
    for item in items:
        label, text = str(item.get("label", "")).strip(), str(item.get("text", "")).strip()[:MAX_TEXT]
        if not label or (item.get("uid") is None and not text):
            continue
        record = {"uid": None if item.get("uid") is None else int(item["uid"]), "text": text, "label": label,
                  "source": source, "time": now}
        out.append({**record, "id": _digest(record)})
    _append(store, _folder(store, dataset_id).pending, out)
    return len(out)


def pending(store: Store, dataset_id: str) -> list[dict]:
    """The queue: this dataset's corrections plus API feedback for models trained on it, oldest first,
    without the ones already applied or dismissed."""
    items = read_jsonl(_folder(store, dataset_id).pending) + _api_items(store, dataset_id)
    done = {h["id"] for h in read_jsonl(_folder(store, dataset_id).handled)}
    return sorted((i for i in items if i["id"] not in done), key=lambda i: i["time"])


def with_rows(store: Store, dataset_id: str, items: list[dict]) -> list[dict]:
    """Queue items with what they will change: each gets "text" (a relabel item queues only the row's id) and
    "old" (the row's label in the newest version; None for a text that is not in the dataset yet)."""
    rows = versions.rows(store, dataset_id)
    by_uid = dict(zip(rows["uid"], zip(rows["text"], rows["label"], strict=False), strict=False))
    by_text = dict(zip(rows["text"], rows["label"], strict=False))
    out = []
    for item in items:
        text, old = by_uid.get(item["uid"], (item["text"], None)) if item["uid"] is not None else \
            (item["text"], by_text.get(item["text"]))
        out.append({**item, "text": item["text"] or text, "old": old})
    return out


def apply(store: Store, dataset_id: str, ids: list[str] | None = None) -> versions.Version:
    """Make the next version from the queued corrections (all, or `ids`); they leave the queue."""
    chosen = [i for i in pending(store, dataset_id) if ids is None or i["id"] in set(ids)]
    if not chosen:
        raise DataError("There are no corrections waiting to be saved.")
    known = versions.latest(store, dataset_id).classes
    usable = [i for i in chosen if i["label"] in known]
    if not usable:
        raise DataError("None of these corrections uses one of the dataset's labels ({labels}).", labels=", ".join(known))
    try:
        version = versions.new_version(store, dataset_id, [{k: i[k] for k in ("uid", "text", "label", "source")}
                                                           for i in usable])
    except DataError:  # every one already matches the data (say, saved earlier): they leave the queue
        dismiss(store, dataset_id, [i["id"] for i in usable])
        raise
    _append(store, _folder(store, dataset_id).handled, [{"id": i["id"], "version": version.n} for i in usable])
    return version


def dismiss(store: Store, dataset_id: str, ids: list[str]) -> None:
    _append(store, _folder(store, dataset_id).handled, [{"id": i, "version": None} for i in ids])


def decide(store: Store, dataset_id: str, decisions: list[dict]) -> None:
    """Remember review decisions ({"uid", "decision": keep|accept|relabel, "label"}) so a row is asked once."""
    now = round(time.time(), 3)
    _append(store, _folder(store, dataset_id).decisions, [{**d, "time": now} for d in decisions])


def decided(store: Store, dataset_id: str) -> dict[int, dict]:
    """Row uid -> the latest decision about it."""
    return {int(d["uid"]): d for d in read_jsonl(_folder(store, dataset_id).decisions)}


def _api_items(store: Store, dataset_id: str) -> list[dict]:
    out = []
    for record in api_feedback(store.root):
        job = store.get_job(record["model"]) if _is_id(record["model"]) else None
        if job is not None and job.dataset_id == dataset_id:
            item = {"uid": None, "text": record["text"], "label": record["label"], "source": "api",
                    "time": record["time"]}
            out.append({**item, "id": _digest({**item, "model": record["model"]})})
    return out


def api_feedback(data_dir: Path, model: str | None = None) -> list[dict]:
    """Every correction the API stored in `data_dir` (of `model` only, when given), oldest first: the way to them
    for runs served outside the app, whose feedback has no dataset to join."""
    records = read_jsonl(Path(data_dir) / API_FEEDBACK)
    return [{"text": str(r.get("text", ""))[:MAX_TEXT], "label": str(r.get("label", "")),
             "model": str(r.get("model", "")), "time": float(r.get("time", 0))}
            for r in records if model is None or r.get("model") == model]


def _folder(store: Store, dataset_id: str) -> DatasetFolder:
    return DatasetFolder(store.dataset_dir(dataset_id))


def _is_id(value) -> bool:
    return isinstance(value, str) and bool(ID_RE.match(value))


def _digest(record: dict) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def append_jsonl(path: Path, records: list[dict]) -> None:
    """Append JSON lines under an exclusive lock, so writers in several processes never tear a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _append(store: Store, path: Path, records: list[dict]) -> None:
    if not records:
        return
    try:
        append_jsonl(path, records)
    except OSError as exc:
        raise storage_error(store.root, exc) from exc
