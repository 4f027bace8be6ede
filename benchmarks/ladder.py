"""The ladder from no labels: an LLM labels training texts that have no human label (core.labelling.llm_label: the
app's labelling job, with its label-free calibration), the TF-IDF baseline and the fine-tuned MiniLM train on those
labels, and all are scored on the dataset's human test split. Beside them, the baseline trained on 100 human labels:
the bar the teacher must clear for distilling it to be worth anything.

Target: the fine-tuned student within 2 points of its teacher and at least 50x its texts/s, on every dataset where
the teacher beats the baseline trained on 100 human labels.

    python benchmarks/ladder.py [--texts 2000] [--test-rows 500] [--llm default] [--datasets sst2 trec ...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import shared_split, write_section  # noqa: E402
from core.contenders.baseline import TfidfClassifier  # noqa: E402
from core.contenders.finetune import FineTuneClassifier  # noqa: E402
from core.labelling.llm_label import LabelSettings, final_proba, label_texts, read_scores  # noqa: E402
from core.runs import llm_name  # noqa: E402

DATASETS = ("sst2", "sms_spam", "mr_polarity", "trec")


def accuracy(pred, truth) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(truth)))


def teach(llm: str, train: pd.DataFrame, test: pd.DataFrame, classes: list[str]) -> tuple[list[str], list[str], dict]:
    """The LLM's labels for the training texts and the test texts (one labelling run, as the app's job does: the
    test texts are among those it labels), and its texts/s."""
    texts = train["text"].tolist() + test["text"].tolist()
    settings = LabelSettings(classes, llm)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "labelled.csv"
        t0 = time.time()
        frame = label_texts(texts, out, settings)
        seconds = time.time() - t0
        _, calibrated = final_proba(read_scores(out, settings, texts), len(texts))
    labels = frame["label"].tolist()
    return labels[:len(train)], labels[len(train):], {"texts_per_s": len(texts) / seconds, "calibrated": calibrated}


def student(kind: str, texts: list[str], labels: list[str], test: pd.DataFrame) -> tuple[float, float]:
    """(accuracy on the human test labels, texts/s predicting them)."""
    model = TfidfClassifier() if kind == "baseline" else FineTuneClassifier(epochs=2, batch_size=16, max_length=64)
    model.fit(texts, labels)
    t0 = time.time()
    pred = model.predict(test["text"].tolist())
    return accuracy(pred, test["label"]), len(test) / (time.time() - t0)


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--texts", type=int, default=2000, help="training texts the LLM labels (no human label used)")
    a.add_argument("--test-rows", type=int, default=500)
    a.add_argument("--llm", default="default", help="the teacher, as `train --llm`")
    a.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = a.parse_args()
    lines = ["| dataset | teacher | baseline on 100 human labels | baseline on LLM labels | fine-tuned MiniLM on LLM "
             "labels | teacher texts/s | student texts/s | student - teacher | met |", "|---|" + "---|" * 8]
    for name in args.datasets:
        if (split := shared_split(name, args.test_rows)) is None:
            continue
        pool, test = split
        train = pool.sample(n=min(args.texts, len(pool)), random_state=0)
        classes = sorted(pool["label"].unique())
        human = pool.drop(train.index).sample(n=100, random_state=1)
        bar = accuracy(TfidfClassifier().fit(human["text"].tolist(), human["label"].tolist()).predict(
            test["text"].tolist()), test["label"])
        taught, on_test, speed = teach(args.llm, train, test, classes)
        teacher = accuracy(on_test, test["label"])
        base, _ = student("baseline", train["text"].tolist(), taught, test)
        tuned, tuned_speed = student("finetune", train["text"].tolist(), taught, test)
        applies = teacher > bar
        met = "yes" if tuned >= teacher - 0.02 and tuned_speed >= 50 * speed["texts_per_s"] else "no"
        lines.append(f"| {name} | {teacher:.3f}{' (calibrated)' if speed['calibrated'] else ''} | {bar:.3f} | "
                     f"{base:.3f} | {tuned:.3f} | {speed['texts_per_s']:.1f} | {tuned_speed:,.0f} | "
                     f"{tuned - teacher:+.3f} | {met if applies else 'n/a (teacher below the bar)'} |")
        print(lines[-1], flush=True)
    write_section(f"The ladder: {llm_name(args.llm)} labels, small models learn", f"""
{llm_name(args.llm)} labels {args.texts:,} training texts of each dataset zero-shot, with no human label (the app's labelling
job: core.labelling.llm_label, calibrated where its answers pile onto one label), and the test texts too (its
teacher score). Students train on its labels: the TF-IDF baseline, and MiniLM fine-tuned for 2 epochs (64 tokens).
All are scored on a seeded {args.test_rows}-row sample of the human test split; the bar is the baseline trained on 100
human labels. Texts/s: the teacher's while labelling (2 cores), the fine-tuned student's predicting the test rows.

{chr(10).join(lines)}

Target: where the teacher beats the bar, the fine-tuned student within 2 points of it at 50x its texts/s or more.
""")


if __name__ == "__main__":
    main()
