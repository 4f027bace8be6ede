"""Dataset versions: every change makes a new version; v1 is the upload, and nothing alters a parent.

    datasets/<id>/versions/<n>/  rows.parquet (uid, text, label, split)  changes.jsonl  meta.json

A row's identity (`uid`) is its position in the uploaded file for v1 rows, and counts on for added rows, so a
row keeps its uid through every version. The split is decided once, at v1 (stratified, seeded), by uid: test
rows stay test rows in every later version, so runs on different versions are scored on the same texts. Added
rows go to training, every tenth to validation. A version folder is written hidden and renamed when complete,
under a per-dataset lock, so two sessions saving at once get v3 and v4, never two half-written v3s.
"""
from __future__ import annotations

import fcntl
import json
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from core import labelsets
from core.data.cleaning import Split, split_dataset
from core.data.folder import DatasetFolder
from core.errors import DataError
from core.i18n import N_, translator
from core.store import Store, storage_error

SPLIT_SEED, VAL_FRACTION, TEST_FRACTION = 42, 0.1, 0.1  # the same defaults as a run's own split
SOURCES = {"upload": N_("the upload"), "review": N_("label review"), "predict": N_("a corrected prediction"),
           "active": N_("labelling"), "api": N_("API feedback"), "import": N_("an import"),
           "check": N_("the test sample's check")}
KEPT = ("source", "confidence")  # where a row's label came from (llm:<model>, human) and the labeller's confidence


@dataclass(frozen=True)
class Version:
    """One version of a dataset: counts and where its changes came from (meta.json)."""

    dataset_id: str
    n: int
    parent: int | None
    created: float
    rows: int
    classes: dict[str, int]
    relabelled: int = 0
    added: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    test_rows: int = 0
    checked: bool = True  # the test rows' labels are a person's (False: an LLM's, waiting for a person to check)

    @property
    def tag(self) -> str:
        return f"v{self.n}"

    def summary(self, lang: str = "en") -> str:
        """What changed, in words: 'v2 (from v1): 12 label(s) corrected, 3 row(s) added, from label review'."""
        _ = translator(lang)
        if self.parent is None:
            return _("v1: the upload, {rows:,} rows in {classes} classes", rows=self.rows, classes=len(self.classes))
        what = ([_("{n} label(s) corrected", n=self.relabelled)] * bool(self.relabelled)
                + [_("{n} row(s) added", n=self.added)] * bool(self.added))
        where = _(", ").join(_(SOURCES[s]) if s in SOURCES else s for s in self.sources)
        said = _("{tag} (from v{parent}): {what}", tag=self.tag, parent=self.parent,
                 what=_(", ").join(what) or _("no changes"))
        return said + (_(", from {where}", where=where) if where else "")


def _folder(store: Store, dataset_id: str) -> DatasetFolder:
    return DatasetFolder(store.dataset_dir(dataset_id))


def rows_path(store: Store, dataset_id: str, n: int | None = None) -> Path:
    """The file a run trains on: version n's rows (the newest when n is None)."""
    return _folder(store, dataset_id).rows(n or latest(store, dataset_id).n)


def versions(store: Store, dataset_id: str) -> list[Version]:
    """Every version of a dataset, oldest first (v1 is made from the cleaned upload on first use)."""
    _ensure_first(store, dataset_id)
    folder = _folder(store, dataset_id)
    return [Version(**json.loads(folder.meta(n).read_text(encoding="utf-8"))) for n in folder.version_numbers()]


def latest(store: Store, dataset_id: str) -> Version:
    return versions(store, dataset_id)[-1]


def get(store: Store, dataset_id: str, n: int) -> Version:
    for v in versions(store, dataset_id):
        if v.n == n:
            return v
    raise DataError("This dataset has no version {n}; it has v1 to v{last}.", n=n, last=latest(store, dataset_id).n)


def rows(store: Store, dataset_id: str, n: int | None = None) -> pd.DataFrame:
    """Version n's rows: columns uid, text, label, split."""
    n = n or latest(store, dataset_id).n
    get(store, dataset_id, n)  # one sentence for a version that does not exist
    return pd.read_parquet(_folder(store, dataset_id).rows(n))


def changes(store: Store, dataset_id: str, n: int) -> list[dict]:
    """Version n's change log: {uid, old, new, source, time, text} per relabelled or added row."""
    path = _folder(store, dataset_id).changes(n)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line] if path.is_file() else []


def export_csv(store: Store, dataset_id: str, n: int | None = None) -> bytes:
    """Version n as CSV (text, label, split), UTF-8 with a BOM so Excel reads Chinese and accents right."""
    return rows(store, dataset_id, n)[["text", "label", "split"]].to_csv(index=False).encode("utf-8-sig")


def create_first(store: Store, dataset_id: str, df: pd.DataFrame, checked: bool = True,
                 test_fraction: float = TEST_FRACTION) -> Version:
    """v1 from cleaned rows (text, label, row: the file position, which becomes the uid; source and confidence
    are kept when there). `checked=False`: an LLM gave the labels, and the test rows wait for a person's check."""
    frame = pd.DataFrame({"uid": df["row"].astype("int64").values if "row" in df else range(len(df)),
                          "text": df["text"].values, "label": df["label"].astype(str).values})
    for column in KEPT:
        if column in df:
            frame[column] = df[column].values
    split = split_dataset(frame, VAL_FRACTION, test_fraction, SPLIT_SEED)
    part = {**dict.fromkeys(split.val["uid"], "val"), **dict.fromkeys(split.test["uid"], "test")}
    frame["split"] = [part.get(u, "train") for u in frame["uid"]]
    with _lock(store, dataset_id):
        if _folder(store, dataset_id).meta(1).is_file():
            return get(store, dataset_id, 1)
        return _write(store, dataset_id, 1, None, frame, [], checked)


def new_version(store: Store, dataset_id: str, edits: list[dict], parent: int | None = None,
                check: bool = False) -> Version:
    """A new version from `parent` (default: the newest) with `edits`: each {"label", "source"} and either
    "uid" (relabel that row) or "text" (add a row; a text already in the parent relabels that row instead,
    so a corrected test text never leaks into training). Labels must be classes the parent has.
    `check=True`: a person has confirmed (or, by these edits, corrected) every test row's label."""
    _ensure_first(store, dataset_id)  # before the lock: making v1 takes it too
    with _lock(store, dataset_id):
        base = latest(store, dataset_id) if parent is None else get(store, dataset_id, parent)
        frame = rows(store, dataset_id, base.n).copy()
        log = _apply(frame, edits, _allowed(store, dataset_id, base))
        if not log and not (check and not base.checked):
            raise DataError("Nothing to save: every change matches a label the dataset already has.")
        added = [e.pop("_row") for e in log if "_row" in e]
        if added:
            frame = pd.concat([frame, pd.DataFrame(added)], ignore_index=True)
        if check and "source" in frame:
            frame.loc[frame["split"] == "test", ["source", "confidence"]] = ["human", 1.0]
        return _write(store, dataset_id, latest(store, dataset_id).n + 1, base.n, frame, log, base.checked or check)


def _allowed(store: Store, dataset_id: str, base: Version) -> set[str]:
    """Labels an edit may give: the base's classes, and for an LLM-labelled dataset every category named then
    (one the LLM never gave included)."""
    path = _folder(store, dataset_id).report
    by = json.loads(path.read_text(encoding="utf-8")).get("labelled_by") if path.is_file() else None
    return set(base.classes) | set((by or {}).get("classes") or ())


def _apply(frame: pd.DataFrame, edits: list[dict], classes: set[str]) -> list[dict]:
    """Apply relabels in place; return the change log (added rows carry their new row under "_row")."""
    by_uid = {int(u): i for i, u in enumerate(frame["uid"])}
    by_text = {t: i for i, t in enumerate(frame["text"])}
    next_uid, now, log, seen, added = int(frame["uid"].max()) + 1 if len(frame) else 0, round(time.time(), 3), [], set(), set()
    multi = labelsets.is_multi(frame["label"].head(50))  # label sets: an edit gives the whole new set
    for edit in edits:
        label, source = labelsets.normal(edit["label"], multi), str(edit.get("source", "review"))
        unknown = [x for x in (labelsets.decode(label) if multi else [label]) if x not in classes]
        if unknown:
            raise DataError("'{label}' is not one of this dataset's labels ({labels}).", label=unknown[0][:80],
                            labels=", ".join(sorted(classes)))
        i = by_uid.get(int(edit["uid"])) if edit.get("uid") is not None else by_text.get(str(edit.get("text", "")).strip())
        if edit.get("uid") is not None and i is None:
            raise DataError("Row {uid} is not in this dataset version.", uid=edit["uid"])
        if i is not None:
            old = frame.at[i, "label"]
            if old != label and i not in seen:
                frame.at[i, "label"] = label
                if "source" in frame:  # an LLM-labelled dataset: a person gave this label
                    frame.loc[i, ["source", "confidence"]] = ["human", 1.0]
                seen.add(i)
                log.append({"uid": int(frame.at[i, "uid"]), "old": old, "new": label, "source": source, "time": now,
                            "text": frame.at[i, "text"][:200]})
            continue
        text = str(edit.get("text", "")).strip()
        if not text or text in added:
            continue
        added.add(text)
        split = "val" if next_uid % 10 == 0 else "train"  # the test rows stay those chosen at v1
        log.append({"uid": next_uid, "old": None, "new": label, "source": source, "time": now, "text": text[:200],
                    "_row": {"uid": next_uid, "text": text, "label": label, "split": split,
                             **({"source": "human", "confidence": 1.0} if "source" in frame else {})}})
        next_uid += 1
    return log


def _write(store: Store, dataset_id: str, n: int, parent: int | None, frame: pd.DataFrame, log: list[dict],
           checked: bool = True) -> Version:
    folder = _folder(store, dataset_id)
    target, partial = folder.version(n), folder.partial_version(n)
    added = sum(1 for e in log if e["old"] is None)
    sources: dict[str, int] = {}
    for e in log:
        sources[e["source"]] = sources.get(e["source"], 0) + 1
    version = Version(dataset_id, n, parent, round(time.time(), 3), len(frame),
                      labelsets.counts(frame["label"]),
                      len(log) - added, added, sources if parent else {"upload": len(frame)},
                      int((frame["split"] == "test").sum()), checked)
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        # written as version n's files, in the partial folder: same names, renamed into place when complete
        frame.astype({"uid": "int64"}).to_parquet(partial / folder.rows(n).name, index=False)
        (partial / folder.changes(n).name).write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in log), encoding="utf-8")
        (partial / folder.meta(n).name).write_text(json.dumps(asdict(version), ensure_ascii=False), encoding="utf-8")
        partial.rename(target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise storage_error(store.root, exc) from exc
    return version


def _ensure_first(store: Store, dataset_id: str) -> None:
    """Datasets saved before versions existed get their v1 from cleaned.parquet (row order = uid)."""
    if _folder(store, dataset_id).meta(1).is_file():
        return
    cleaned = _folder(store, dataset_id).cleaned
    if not cleaned.is_file():
        raise DataError("That dataset is not in the data folder any more; add it again on the Data page.")
    create_first(store, dataset_id, pd.read_parquet(cleaned))


@contextmanager
def _lock(store: Store, dataset_id: str):
    path = _folder(store, dataset_id).lock
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError as exc:
        raise storage_error(store.root, exc) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def fixed_split(path: str | Path, df: pd.DataFrame) -> Split:
    """For a version's rows file (a run whose config names a dataset version), the split decided at v1: a
    `core.data.cleaning.Split` whose frames carry `uid`. `df` is the cleaned frame (its `row` is the position in
    the file). The file is read for its uid and split columns, whatever it is called."""
    try:
        stored = pd.read_parquet(path, columns=["uid", "split"])
    except Exception as exc:  # not Parquet, or no uid/split columns: pyarrow raises several types
        raise DataError("'{file}' is not a dataset version's rows file (it has no uid and split columns); export the "
                        "version with `python -m core dataset export`, or train on the file without --dataset-id.",
                        file=Path(path).name) from exc
    df = df.assign(uid=stored["uid"].values[df["row"].values], split=stored["split"].values[df["row"].values])
    part = {k: df[df["split"] == k].drop(columns="split").reset_index(drop=True) for k in ("train", "val", "test")}
    return Split(part["train"], part["val"], part["test"])
