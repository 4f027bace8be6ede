"""Write one named section of benchmarks/RESULTS.md, keeping the others."""
from __future__ import annotations

import os
import platform
import re
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
# ../shared/data beside the checkout; TUNELAB_SHARED_DATA points elsewhere (a GPU machine gets a copy carried in)
SHARED = Path(os.environ.get("TUNELAB_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), {gpu}, torch {torch.__version__}"


def write_section(name: str, body: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else (
        "# Benchmark results\n\nWritten by the scripts in this folder; each section is replaced when its script runs "
        "again.\n")
    block = (f"<!-- {name} -->\n## {name}\n\n_Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}._\n\n"
             f"{body.strip()}\n<!-- /{name} -->")
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(block)


def shared_split(name: str, test_rows: int | None = None):
    """A shared dataset's (train, test) frames: train deduplicated by text, labels as str, test optionally a seeded
    sample of `test_rows`; None when ../shared/data does not hold it."""
    import pandas as pd

    if not (SHARED / name / "train.csv").is_file():
        return None
    train = pd.read_csv(SHARED / name / "train.csv").dropna().drop_duplicates("text")
    test = pd.read_csv(SHARED / name / "test.csv").dropna()
    train["label"], test["label"] = train["label"].astype(str), test["label"].astype(str)
    if test_rows:
        test = test.sample(n=min(test_rows, len(test)), random_state=0)
    return train, test
