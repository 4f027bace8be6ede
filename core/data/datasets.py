"""Datasets in the data directory: saving an upload (as received, cleaned, with its report) as v1, demo sets,
Hub datasets. The folder's layout is core.data.folder's; runs train on a version's rows (core.data.versions).
"""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

from core.checkpoints import require_hub_host
from core.data.cleaning import Dataset, split_dataset
from core.data.folder import DatasetFolder
from core.data.versions import create_first
from core.errors import DataError
from core.i18n import N_
from core.store import Store, new_id, require_free_space, storage_error

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEMO_PATH = ASSETS / "demo_tickets.csv"
# the demo set in each interface language: the same five kinds of support ticket (assets/make_demo_dataset.py)
DEMOS = {"en": (DEMO_PATH, N_("760 customer-support tickets in 5 categories, written for Tunelab; some are genuinely "
                              "ambiguous.")),
         "zh": (ASSETS / "demo_tickets_zh.csv", N_("760 customer-support tickets in Chinese, in 5 categories, written "
                                                   "for Tunelab; some are genuinely ambiguous."))}
MULTI_DEMOS = {"en": (ASSETS / "demo_tickets_multilabel.csv",
                      N_("400 support tickets with several labels each (topics, and whether the customer is urgent "
                         "or angry), written for Tunelab.")),
               "zh": (ASSETS / "demo_tickets_multilabel_zh.csv",
                      N_("400 support tickets in Chinese with several labels each (topics, and whether the customer "
                         "is urgent or angry), written for Tunelab."))}
SAFE_EXT = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".parquet", ".xlsx"}


def save_dataset(store: Store, ds: Dataset, original: bytes, filename: str, labelled_by: dict | None = None,
                 test_rows: int | None = None) -> str:
    """Store a cleaned dataset and its original bytes; returns the dataset id. Written into a
    hidden folder first and renamed when complete, so a full disk leaves nothing half-written.
    `labelled_by` ({"job", "source"}): an LLM gave the labels; about `test_rows` rows are set aside for a person
    to check (core.labelling.ladder), and v1 says they are not checked yet."""
    dataset_id = new_id()
    folder = store.dataset_dir(dataset_id)
    partial = DatasetFolder(folder.with_name(f".partial-{dataset_id}"))
    require_free_space(store.root, 3 * len(original) // 2**20 + 10)  # original + parquet + report, roughly
    try:
        partial.path.mkdir(parents=True)
        ext = Path(filename).suffix.lower()
        partial.original_file(ext if ext in SAFE_EXT else ".bin").write_bytes(original)  # user names never reach a path
        ds.df[["text", "label", "row"]].to_parquet(partial.cleaned, index=False)
        report = {**ds.report.to_dict(), "filename": filename, **({"labelled_by": labelled_by} if labelled_by else {})}
        partial.report.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        partial.path.rename(folder)
    except OSError as exc:
        shutil.rmtree(partial.path, ignore_errors=True)
        raise storage_error(store.root, exc) from exc

    # v1: the upload's rows, their uids and the split every version keeps
    create_first(store, dataset_id, ds.df, checked=not labelled_by,
                 **({"test_fraction": min(0.3, test_rows / len(ds.df))} if labelled_by and test_rows else {}))
    store.add_dataset(dataset_id, Path(filename).name[:120], ds.report.rows, ds.report.classes)
    return dataset_id



def read_report(store: Store, dataset_id: str) -> dict:
    """The cleaning report saved with the dataset (columns used, counts, file name)."""
    return json.loads(DatasetFolder(store.dataset_dir(dataset_id)).report.read_text(encoding="utf-8"))



def split_sizes(ds: Dataset, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42) -> dict[str, int]:
    s = split_dataset(ds.df, val_fraction, test_fraction, seed)
    return {"train": len(s.train), "validation": len(s.val), "test": len(s.test)}


def hub_dataset_bytes(name: str, split: str = "train", max_rows: int = 50_000) -> tuple[bytes, str]:
    """Fetch a Hugging Face Hub dataset split as Parquet bytes (online users only).
    Offline, or for an unknown name, one plain sentence says so."""
    name = name.strip()
    if not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name) or ".." in name:
        raise DataError("Enter a Hub dataset name like 'imdb' or 'owner/name'.")
    try:
        from datasets import load_dataset as hf_load
    except ImportError as exc:
        raise DataError("Loading Hub datasets needs the 'datasets' package; run: pip install datasets") from exc

    require_hub_host(f"'{name}'")
    try:
        data = hf_load(name, split=f"{split}[:{max_rows}]")
    except Exception as exc:  # the datasets library raises many types for missing names and network trouble
        raise DataError("The Hub dataset '{name}' (split '{split}') could not be loaded; check the name and split.",
                        name=name, split=split) from exc
    buf = io.BytesIO()
    data.to_pandas().to_parquet(buf, index=False)
    return buf.getvalue(), f"{name.replace('/', '_')}_{split}.parquet"
