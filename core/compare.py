"""Compare contenders: score saved runs on one labelled set, McNemar for each pair."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pandas as pd

from core.cleaning import load_dataset
from core.contenders.base import read_meta
from core.contenders.registry import load_classifier
from core.evaluate import evaluate, mcnemar, mcnemar_sentence
from core.runs import RunFolder, model_dir


def evaluate_runs(runs: list[str], data: str | Path, text_col: str | None = None, label_col: str | None = None) -> dict:
    """Score each run's model on a labelled file; the CLI's `evaluate`."""
    ds = load_dataset(data, text_col=text_col, label_col=label_col)
    texts, truth = ds.df["text"].tolist(), ds.df["label"].tolist()
    contenders, preds = [], {}
    for run in runs:
        folder = model_dir(run)
        clf = load_classifier(folder)
        proba = clf.predict_proba(texts)
        ev = evaluate(truth, proba, list(clf.classes_))
        preds[str(run)] = [clf.classes_[i] for i in proba.argmax(1)]
        name = RunFolder(run).name if folder != Path(run) else Path(run).name
        contenders.append({"run": str(run), "name": name, "model": read_meta(folder)["kind"], "accuracy": ev.accuracy,
                           "macro_f1": ev.macro_f1, "weighted_f1": ev.weighted_f1, "n": ev.n, "ci": ev.ci})
    return {"contenders": contenders, "mcnemar": pairwise_mcnemar(contenders, preds, truth)}


def pairwise_mcnemar(contenders: list[dict], preds: dict[str, list[str]], truth: list[str]) -> list[dict]:
    """McNemar's test for every pair of contenders, with a plain-words sentence."""
    out = []
    for a, b in combinations(contenders, 2):
        test = mcnemar(truth, preds[a["run"]], preds[b["run"]])
        name_a, name_b = a.get("name") or a["model"], b.get("name") or b["model"]
        out.append({"a": a["run"], "b": b["run"], **test,
                    "sentence": mcnemar_sentence(name_a, name_b, test, a["accuracy"], b["accuracy"])})
    return out


def aligned_predictions(frames: dict[str, pd.DataFrame]) -> tuple[list[str], dict[str, list[str]]]:
    """Rows scored by every run (matched on text and label), for paired tests across runs."""
    common = None
    for df in frames.values():
        keys = set(zip(df["text"], df["label"]))
        common = keys if common is None else common & keys
    if not common:
        return [], {}
    order = sorted(common)
    preds = {}
    for run, df in frames.items():
        lookup = dict(zip(zip(df["text"], df["label"]), df["pred"]))
        preds[run] = [lookup[k] for k in order]
    return [k[1] for k in order], preds
