"""Compare contenders: score saved runs on one labelled set, McNemar for each pair."""
from __future__ import annotations

import time
from itertools import combinations
from pathlib import Path

import pandas as pd

from core.contenders.base import read_meta
from core.contenders.registry import load_classifier
from core.data import versions
from core.data.cleaning import load_dataset
from core.errors import DataError
from core.evaluate import evaluate, mcnemar, mcnemar_sentence
from core.i18n import translator
from core.recommend import cost_per_1000, token_cost
from core.runs import RunFolder, model_dir


def evaluate_runs(runs: list[str], data: str | Path, text_col: str | None = None, label_col: str | None = None) -> dict:
    """Score each run's model on a labelled file; the CLI's `evaluate`."""
    ds = load_dataset(data, text_col=text_col, label_col=label_col)
    texts, truth = ds.df["text"].tolist(), ds.df["label"].tolist()
    contenders, preds = [], {}
    for run in runs:
        folder = model_dir(run)
        clf = load_classifier(folder)
        t0 = time.perf_counter()
        proba = clf.predict_proba(texts)
        seconds = time.perf_counter() - t0
        ev = evaluate(truth, proba, list(clf.classes_), multi_label=clf.multi_label_, thresholds=clf.thresholds_)
        preds[str(run)] = clf.decide(proba)  # label sets and chosen thresholds decide as the model does
        name = RunFolder(run).name if folder != Path(run) else Path(run).name
        contenders.append({"run": str(run), "name": name, "model": read_meta(folder)["kind"], "accuracy": ev.accuracy,
                           **({"micro_f1": ev.multi["micro_f1"]} if ev.multi else {}), "macro_f1": ev.macro_f1,
                           "weighted_f1": ev.weighted_f1, "n": ev.n, "ci": ev.ci,
                           **scorecard_columns(RunFolder(run) if folder != Path(run) else None, len(texts), seconds)})
    return {"contenders": contenders, "mcnemar": pairwise_mcnemar(contenders, preds, truth)}


def scorecard_columns(run: RunFolder | None, n: int, seconds: float) -> dict:
    """The scorecard's cost columns for the CLI: texts/s and seconds per 1,000 texts measured on this file now,
    training seconds, the p50 latency and size measured when the run trained (None when unknown)."""
    metrics = (run.metrics() if run else None) or {}
    speed = metrics.get("speed") or {}
    rate = n / seconds if seconds > 0 else None
    cost = cost_per_1000({"texts_per_s": rate})
    return {"texts_per_s": round(rate, 1) if rate else None, "s_per_1000": round(cost, 2) if cost else None,
            "train_s": metrics.get("train_seconds"), "p50_ms": speed.get("p50_ms"), "size_mb": speed.get("size_mb"),
            "tokens_per_text": token_cost(speed)["tokens_per_text"], "usd_per_1000": speed.get("usd_per_1000")}


def pairwise_mcnemar(contenders: list[dict], preds: dict[str, list[str]], truth: list[str],
                     lang: str = "en") -> list[dict]:
    """McNemar's test for every pair of contenders, with a plain-words sentence in `lang`."""
    out = []
    for a, b in combinations(contenders, 2):
        test = mcnemar(truth, preds[a["run"]], preds[b["run"]])
        name_a, name_b = a.get("name") or a["model"], b.get("name") or b["model"]
        out.append({"a": a["run"], "b": b["run"], **test,
                    "sentence": mcnemar_sentence(name_a, name_b, test, a["accuracy"], b["accuracy"], lang)})
    return out


def aligned_predictions(frames: dict[str, pd.DataFrame]) -> tuple[list[str], dict[str, list[str]]]:
    """Rows scored by every run (matched on text and label), for paired tests across runs."""
    common = None
    for df in frames.values():
        keys = set(zip(df["text"], df["label"], strict=False))
        common = keys if common is None else common & keys
    if not common:
        return [], {}
    order = sorted(common)
    preds = {}
    for run, df in frames.items():
        lookup = dict(zip(zip(df["text"], df["label"], strict=False), df["pred"], strict=False))
        preds[run] = [lookup[k] for k in order]
    return [k[1] for k in order], preds


def compare_versions(store, run_dirs: list[str | Path], lang: str = "en") -> list[dict]:
    """Runs trained on versions of one dataset, re-scored on the test rows they share against the dataset's
    newest labels (a test row corrected after a run trained counts as corrected for every run), and each
    contender's older-vs-newer version pair tested with McNemar. One dict per dataset with >= 1 such run:
    {"dataset_id", "newest", "rescored" (test rows whose label changed), "n", "rows": [...], "pairs": [...]}."""

    groups: dict[str, list[tuple[RunFolder, int, pd.DataFrame]]] = {}
    for run in map(RunFolder, run_dirs):
        tag = (run.metrics() or {}).get("data_version")
        frame = run.predictions(columns=["uid", "label", "pred"]) if tag else None  # runs on a version store row ids
        if frame is not None:
            groups.setdefault(tag["dataset_id"], []).append((run, tag["version"], frame))
    out = []
    for dataset_id, runs in groups.items():
        try:
            newest = versions.rows(store, dataset_id)
        except DataError:  # the dataset was removed; its runs still compare on their own page
            continue
        out.append(_rescore(dataset_id, runs, newest, versions.versions(store, dataset_id), lang))
    return out


def _rescore(dataset_id: str, runs: list[tuple[RunFolder, int, pd.DataFrame]], newest: pd.DataFrame,
             history: list, lang: str) -> dict:
    truth_of = dict(zip(newest["uid"], newest["label"], strict=False))
    common = sorted(set.intersection(*(set(f["uid"]) for _, _, f in runs)) & set(truth_of))
    truth = [truth_of[u] for u in common]
    rescored = {int(u) for _, _, f in runs for u, old in zip(f["uid"], f["label"], strict=False) if truth_of.get(u, old) != old}
    rows, preds = [], {}
    for run, version, frame in runs:
        key = str(run.path)
        lookup = dict(zip(frame["uid"], frame["pred"], strict=False))
        preds[key] = [lookup[u] for u in common]
        right = [p == t for p, t in zip(preds[key], truth, strict=False)]
        rows.append({"run": key, "name": run.name, "model": run.kind, "version": version,
                     "accuracy": sum(right) / max(1, len(right)), "n": len(common)})
    pairs = []
    for a, b in combinations(sorted(rows, key=lambda r: r["version"]), 2):
        if a["model"] == b["model"] and a["version"] != b["version"]:
            test = mcnemar(truth, preds[a["run"]], preds[b["run"]])
            pairs.append({"a": a["run"], "b": b["run"], **test,
                          "sentence": version_sentence(a, b, test, _changed(history, a["version"], b["version"]), lang)})
    return {"dataset_id": dataset_id, "newest": history[-1].n, "rescored": len(rescored & set(common)),
            "n": len(common), "rows": rows, "pairs": pairs}


def _changed(history: list, old: int, new: int) -> tuple[int, int]:
    """Labels corrected and rows added on the way from version `old` to `new` (following parents)."""
    by_n, fixed, added, n = {v.n: v for v in history}, 0, 0, new
    while n in by_n and n != old and by_n[n].parent is not None:
        fixed, added, n = fixed + by_n[n].relabelled, added + by_n[n].added, by_n[n].parent
    return fixed, added


def version_sentence(a: dict, b: dict, test: dict, changed: tuple[int, int], lang: str = "en") -> str:
    """'Baseline, v1 -> v2: correcting 38 labels raised accuracy from 84.1% to 85.3%; with p = 0.02 this is
    unlikely to be luck.' (in `lang`)"""

    _, (fixed, added), p = translator(lang), changed, test["p_value"]
    what = ([_("correcting {n} label", n=fixed) if fixed == 1 else _("correcting {n} labels", n=fixed)] * bool(fixed)
            + [_("adding {n} row", n=added) if added == 1 else _("adding {n} rows", n=added)] * bool(added))
    what = _(" and ").join(what) or _("the new version")
    acc = {"what": what, "old": a["accuracy"], "new": b["accuracy"]}
    change = (_("{what} raised accuracy from {old:.1%} to {new:.1%}", **acc) if b["accuracy"] > a["accuracy"] else
              _("{what} lowered accuracy from {old:.1%} to {new:.1%}", **acc) if b["accuracy"] < a["accuracy"] else
              _("{what} left accuracy at {old:.1%}", **acc))
    luck = _("with p = {p:.2g} this is unlikely to be luck", p=p) if p < 0.05 else \
        _("with p = {p:.2g} this could be luck", p=p)
    return _("{a} vs {b} (v{va} -> v{vb}, the same {n} test rows): {change}; {luck}.", a=a["name"], b=b["name"],
             va=a["version"], vb=b["version"], n=a["n"], change=change, luck=luck)
