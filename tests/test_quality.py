"""core.trust.quality: planted label flips are found, conflicts, leakage and tiny classes reported,
and the fixed file changes only the flagged labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.cleaning import load_dataset
from core.trust.quality import check_labels, fixed_table

TOPICS = {"billing": ["invoice", "charged twice", "refund", "payment failed", "my card", "the bill"],
          "delivery": ["parcel", "courier", "tracking number", "late delivery", "the package", "shipping"],
          "account": ["password", "login", "my username", "two-factor code", "locked out", "sign in"]}
OPENERS = ["hello, a question about", "hi team, I need help with", "good morning, issue with", "urgent:"]
CLOSERS = ["thanks", "please advise", "cheers", "kind regards", "thank you so much"]
FLIPS = [3, 40, 77, 101, 150]


def planted() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for label, words in TOPICS.items():
        for i in range(60):
            a, b = rng.choice(words, 2, replace=False)
            rows.append((f"{rng.choice(OPENERS)} {a} and {b}, {rng.choice(CLOSERS)} (ref {i})", label))
    df = pd.DataFrame(rows, columns=["text", "label"]).sample(frac=1, random_state=1).reset_index(drop=True)
    for i in FLIPS:  # a plausible wrong label: the next topic
        df.loc[i, "label"] = {"billing": "delivery", "delivery": "account", "account": "billing"}[df.loc[i, "label"]]
    return df


def test_planted_flips_are_all_found_and_ranked_first(tmp_path):
    df = planted()
    df.to_csv(tmp_path / "d.csv", index=False)
    events = []
    report = check_labels(load_dataset(tmp_path / "d.csv").df, use_embeddings=False, on_progress=events.append)
    assert [i["row"] for i in report.issues] and {i["row"] for i in report.issues} == set(FLIPS)
    for issue in report.issues:  # the suggestion is the topic the text is really about
        truth = [k for k, words in TOPICS.items() if any(w in issue["text"] for w in words)]
        assert issue["suggested"] in truth and issue["given"] == df.loc[issue["row"], "label"] != issue["suggested"]
        assert 0 <= issue["score"] < 0.5 and issue["confidence"] > 0.5
    assert [i["score"] for i in report.issues] == sorted(i["score"] for i in report.issues)  # worst first
    assert events[-1]["step"] == events[-1]["total_steps"] == 5
    assert report.sentence() == "About 3% of the labels look wrong (5 of 180); here they are, most likely first."


@pytest.mark.slow
def test_with_embeddings_too_flags_flips_and_nothing_else():
    df = planted().assign(row=lambda d: range(len(d)))
    found = {i["row"] for i in check_labels(df).issues}
    assert found <= set(FLIPS) and len(found) >= 4  # cleanlab's "both" filter trades a little recall for precision


def test_conflicts_leakage_and_small_classes():
    twins = [t for i in range(10) for t in (f"Order {i} never arrived", f"order {i} never arrived!!")]
    df = pd.DataFrame({"text": ["Where is my parcel?", "where is my parcel", *twins,
                                *[f"filler text number {i}" for i in range(30)], "odd one"],
                       "label": ["delivery", "billing", *["late"] * 20, *(["other", "misc"] * 15), "rare"]})
    df["row"] = np.arange(len(df)) + 100
    report = check_labels(df, use_embeddings=False)
    assert report.conflicts == [{"text": "Where is my parcel?", "labels": {"billing": [101], "delivery": [100]}}]
    assert report.small_classes == {"delivery": 1, "billing": 1, "rare": 1}
    assert report.leakage  # a twin in the test split whose other half trains
    for item in report.leakage:
        texts = {df.set_index("row").loc[r, "text"].lower().rstrip("!") for r in item["train_rows"] + item["test_rows"]}
        assert len(texts) == 1 and item["test_rows"] and item["train_rows"]


def test_fixed_table_changes_only_flagged_labels(tmp_path):
    df = planted()
    df["extra"] = range(len(df))
    df.to_csv(tmp_path / "d.csv", index=False)
    from core.data.reading import read_table

    raw = read_table(tmp_path / "d.csv").df
    report = check_labels(load_dataset(tmp_path / "d.csv").df, use_embeddings=False)
    fixed = fixed_table(raw, "label", report)
    changed = (fixed["label"] != raw["label"]).to_numpy().nonzero()[0]
    assert set(changed) == {i["row"] for i in report.issues if i["suggested"] != i["given"]}
    assert fixed.drop(columns="label").equals(raw.drop(columns="label"))
