"""The ladder's speed-up, measured quietly: the teacher (an LLM labelling texts through the app's labelling path)
against a fine-tuned MiniLM student predicting, one after the other in one process on the same texts, so both see
the same machine. benchmarks/ladder.py times them while it runs; this is the ratio to quote.

    python benchmarks/ladder_speed.py [--llm default] [--texts 200]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import shared_split, write_section  # noqa: E402
from core.contenders.finetune import FineTuneClassifier  # noqa: E402
from core.labelling.llm_label import LabelSettings, label_texts  # noqa: E402
from core.runs import llm_name  # noqa: E402


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--llm", default="default")
    a.add_argument("--texts", type=int, default=200)
    args = a.parse_args()
    train, test = shared_split("sst2", args.texts)
    texts = test["text"].tolist()
    with tempfile.TemporaryDirectory() as tmp:
        label_texts(texts[:8], Path(tmp) / "warm.csv", LabelSettings(["negative", "positive"], args.llm))  # loaded
        t0 = time.perf_counter()
        label_texts(texts, Path(tmp) / "labelled.csv", LabelSettings(["negative", "positive"], args.llm))
        teacher = len(texts) / (time.perf_counter() - t0)
    student = FineTuneClassifier(epochs=1, max_length=64).fit(train["text"].tolist()[:200], train["label"].tolist()[:200])
    student.predict(texts[:8])
    t0 = time.perf_counter()
    student.predict(texts)
    fast = len(texts) / (time.perf_counter() - t0)
    write_section(f"The ladder's speed-up: {llm_name(args.llm)} against its student", f"""
{args.texts} SST-2 test texts labelled by {llm_name(args.llm)} through the app's labelling path (model loaded first), then
predicted by MiniLM fine-tuned at 64 tokens, one after the other in one process with nothing else running.

| teacher texts/s | fine-tuned MiniLM texts/s | student / teacher |
|---|---|---|
| {teacher:.1f} | {fast:,.0f} | **{fast / teacher:,.0f}x** |
""")


if __name__ == "__main__":
    main()
