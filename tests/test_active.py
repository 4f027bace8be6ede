"""Active learning: the suggest ranking on a constructed case, and the CLI's JSON shape."""
from __future__ import annotations

import json

import numpy as np

from core.cli import main
from core.trust.active import first_to_label, margins, rank_for_labelling, text_vectors


class Fixed:
    """A model whose probabilities are given per text."""

    classes_ = ["a", "b", "c"]

    def __init__(self, table):
        self.table = table

    def predict_proba(self, texts):
        return np.array([self.table[t] for t in texts])


def test_margin_and_disagreement_order_the_rows():
    one = Fixed({"sure": [0.98, 0.01, 0.01], "torn": [0.45, 0.44, 0.11], "mild": [0.7, 0.2, 0.1],
                 "split": [0.8, 0.1, 0.1]})
    other = Fixed({"sure": [0.97, 0.02, 0.01], "torn": [0.46, 0.43, 0.11], "mild": [0.7, 0.25, 0.05],
                   "split": [0.1, 0.8, 0.1]})  # the two models disagree on "split"
    texts = ["sure", "torn", "mild", "split"]
    assert np.allclose(margins(one.predict_proba(texts)), [0.97, 0.01, 0.5, 0.7])
    alone = rank_for_labelling({"one": one}, texts)
    assert [r["text"] for r in alone] == ["torn", "mild", "split", "sure"]
    both = rank_for_labelling({"one": one, "other": other}, texts, n=2)
    assert [r["text"] for r in both] == ["torn", "split"] and both[1]["guesses"] == {"one": "a", "other": "b"}
    assert [r["row"] for r in both] == [1, 3]


def test_cli_suggest_json_on_a_text_only_file(tmp_path, tiny_csv):
    from core.config import TrainConfig
    from core.train import run_training

    run_training(TrainConfig(), tiny_csv, tmp_path / "run")
    (tmp_path / "new.csv").write_text('text,id\n"I love it, wonderful",1\n"",2\n"where is my order? it broke",3\nterrible,4\n')
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        assert main(["suggest", str(tmp_path / "run"), str(tmp_path / "new.csv"), "--n", "2", "--json"]) == 0
    rows = json.loads(out.getvalue())["rows"]
    assert len(rows) == 2 and set(rows[0]) == {"row", "text", "uncertainty", "guesses"}
    assert rows[0]["uncertainty"] >= rows[1]["uncertainty"]
    assert all(r["row"] in (0, 2, 3) for r in rows)  # positions among the file's data rows; row 1 has no text
    assert rows[0]["text"] == "where is my order? it broke"  # the question that also complains


def test_cli_suggest_needs_a_run_and_a_file(tmp_path, capsys):
    assert main(["suggest", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: Name at least one run folder")


class Unsure:
    """A model least sure of refunds, then parcels, then crashes: every refund ranks above every other text."""

    classes_ = ["a", "b"]

    def predict_proba(self, texts):
        return np.array([[0.5, 0.5] if "refund" in t else [0.6, 0.4] if "parcel" in t else [0.65, 0.35]
                         for t in texts])


KINDS = [f"refund for order {i} please" for i in range(50)] + [f"where is parcel number {i}?" for i in range(20)] + \
        [f"the app crashes on screen {i}" for i in range(20)]


def test_a_batch_is_picked_for_variety_not_near_copies():
    plain = rank_for_labelling({"m": Unsure()}, KINDS, 3)
    assert {r["text"].split()[0] for r in plain} == {"refund"}  # uncertainty alone: three near-copies
    varied = rank_for_labelling({"m": Unsure()}, KINDS, 3, vectors=text_vectors(KINDS))
    assert {r["text"].split()[0] for r in varied} == {"refund", "where", "the"}  # one of each kind
    assert varied[0]["text"].startswith("refund")  # still the most uncertain first


def test_with_no_model_the_first_texts_are_one_of_each_kind():
    first = first_to_label(KINDS, 3)
    assert {r["text"].split()[0] for r in first} == {"refund", "where", "the"}
    assert len(first_to_label(KINDS[:2], 5)) == 2  # fewer texts than asked: all of them
