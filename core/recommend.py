"""One recommendation a manager can act on, and the scorecard behind it.

The most accurate run is rarely the one to use: on the Quick demo the TF-IDF baseline, the MiniLM embeddings
and the fine-tune got 72, 72 and 70 of 77 test texts right, and the baseline trains 5x faster than the
embeddings and 67x faster than the fine-tune. So the recommendation is the *cheapest* run whose accuracy is not
significantly below the best's (McNemar's test on the rows they share, p >= 0.05), with one sentence that says
why. The summary, the HTML report and the chat all use this one function.

Cost: seconds to label 1,000 texts (measured on each run's own test rows when it trained, `speed` in
metrics.json), then training seconds; runs trained before speed was measured fall back to training seconds.
"""
from __future__ import annotations

import time
from pathlib import Path

from core.checkpoints import resolve_checkpoint
from core.evaluate import mcnemar, mcnemar_sentence
from core.i18n import translator

SIGNIFICANT = 0.05  # McNemar's p below this: the gap to the best is not luck
LATENCY_TEXTS = 20  # single-text predictions timed for p50 latency: ~0.2 s for a fine-tuned MiniLM on 2 cores


def measure_speed(clf, texts: list[str], batch_seconds: float) -> dict:
    """Texts per second (from the batch prediction the test scoring made anyway) and the median latency of one
    text: the scorecard's speed columns (`size_mb` joins them once the model is saved)."""
    latencies = []
    for text in texts[:LATENCY_TEXTS]:
        t0 = time.perf_counter()
        clf.predict_proba([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    out = {"texts_per_s": round(len(texts) / batch_seconds, 1) if batch_seconds > 0 and texts else None,
           "p50_ms": round(latencies[len(latencies) // 2], 2) if latencies else None}
    return out


def usage_per_text(before: dict | None, after: dict | None, price: float | None = None) -> dict:
    """The scorecard's cost columns from an LLM's usage counters around one prediction: tokens read and written per
    text, CPU seconds per text (local models), US dollars per 1,000 texts (a priced endpoint: tokens x the operator's
    price per million) and the share of answers without log-probabilities. {} for contenders that count none."""
    if not before or not after or after["texts"] <= before["texts"]:
        return {}
    n = after["texts"] - before["texts"]
    per = {k: (after[k] - before[k]) / n for k in ("tokens_in", "tokens_out", "cpu_s", "coarse")}
    out = {"tokens_in_per_text": round(per["tokens_in"], 1), "tokens_out_per_text": round(per["tokens_out"], 1),
           "cpu_s_per_text": round(per["cpu_s"], 4), "coarse_share": round(per["coarse"], 3)}
    if price is not None:
        out["usd_per_1000"] = round((per["tokens_in"] + per["tokens_out"]) * price / 1000, 4)  # 1e3 texts / 1e6 tokens
    return out


def token_cost(speed: dict) -> dict:
    """An LLM run's token columns from its metrics' speed: tokens read and written per text, US dollars per 1,000
    texts on a priced endpoint, share of answers without log-probabilities (None where not measured)."""
    tokens = [speed.get("tokens_in_per_text"), speed.get("tokens_out_per_text")]
    return {"tokens_per_text": round(sum(tokens), 1) if None not in tokens else None,
            "usd_per_1000": speed.get("usd_per_1000"), "coarse_share": speed.get("coarse_share")}


def encoder_mb(spec, config, model_dir: Path) -> float:
    """The checkpoint a saved model needs but does not copy (the embeddings contender keeps only its head, 0.02 MB,
    and loads MiniLM's 90 MB at prediction): counted, so its size is what deploying it takes."""
    if not spec.uses_checkpoint or any(Path(model_dir).glob("*.safetensors")) and size_mb(model_dir) > 5:
        return 0.0

    folder = Path(resolve_checkpoint(config.checkpoint))
    return size_mb(folder) if folder.is_dir() else 0.0


def size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6, 2)


def cost_per_1000(row: dict) -> float | None:
    """Seconds to label 1,000 texts, when the run's speed was measured."""
    rate = row.get("texts_per_s")
    return 1000 / rate if rate else None


def _cost(row: dict, use_speed: bool) -> tuple[float, float]:
    seconds = row.get("seconds") or 0.0
    return (cost_per_1000(row) or float("inf"), seconds) if use_speed else (seconds, 0.0)


def _quality(row: dict) -> tuple[float, float]:
    """What "most accurate" means: accuracy, or micro-F1 for label sets (subset accuracy is too strict to rank
    on: a model right on 6 of 7 labels counts as wrong); macro-F1 breaks ties."""
    return row.get("micro_f1", row["accuracy"]), row["macro_f1"]


def recommend(rows: list[dict], preds: dict[str, list[str]], truth: list[str], lang: str = "en") -> dict | None:
    """The recommended run and why: {"run", "name", "best", "sentence", "tests": [each other run vs it]}.
    `rows` are the dashboard's (run, name, accuracy, macro_f1, seconds, texts_per_s); `preds`/`truth` the
    predictions on the test rows every run shares (empty when they share none: then no run is called level)."""
    if not rows:
        return None
    _ = translator(lang)
    best = max(rows, key=_quality)
    paired = bool(truth) and all(r["run"] in preds for r in rows)
    vs_best = {r["run"]: mcnemar(truth, preds[best["run"]], preds[r["run"]]) for r in rows} if paired else {}
    level = [r for r in rows if r is best or (r["run"] in vs_best and vs_best[r["run"]]["p_value"] >= SIGNIFICANT)]
    use_speed = all(cost_per_1000(r) for r in level)
    pick = min(level, key=lambda r: (_cost(r, use_speed), -r["accuracy"]))
    out = {"run": pick["run"], "name": pick["name"], "best": best["run"], "level": [r["run"] for r in level],
           "sentence": _sentence(pick, best, rows, vs_best, use_speed, paired, _), "tests": []}
    if len(rows) > 1 and "micro_f1" in pick:  # label sets: say what "right" and "most accurate" mean here
        out["sentence"] += " " + _("(Several labels a text: a text is right when every label is; models are ranked "
                                   "by micro-F1.)")
    if paired:
        for r in rows:
            if r is not pick:
                test = mcnemar(truth, preds[pick["run"]], preds[r["run"]])
                out["tests"].append({"a": pick["run"], "b": r["run"], **test, "sentence": mcnemar_sentence(
                    pick["name"], r["name"], test, pick["accuracy"], r["accuracy"], lang)})
    return out


def _times(cheap: float | None, dear: float | None) -> float:
    """How many times `cheap` fits in `dear` (0 when either is unknown)."""
    return dear / cheap if cheap and dear else 0.0


def _faster(pick: dict, best: dict, use_speed: bool, _) -> str:
    """Why the cheaper run wins: the larger of its two speed-ups over the most accurate run, when it is 1.5x+."""
    labelling = _times(cost_per_1000(pick), cost_per_1000(best)) if use_speed else 0.0
    training = _times(pick.get("seconds") or 0.0, best.get("seconds") or 0.0)
    if max(labelling, training) < 1.5:
        return _("cheaper to run")
    if labelling >= training:
        return _("{k:,.0f} times faster at labelling texts", k=labelling)
    return _("{k:,.0f} times faster to train", k=training)


def _sentence(pick: dict, best: dict, rows: list[dict], vs_best: dict, use_speed: bool, paired: bool, _) -> str:
    right = round(pick["accuracy"] * pick["n"])
    if len(rows) == 1 and "micro_f1" in pick:  # label sets: "right" is every label of a text right
        return _("The {name} gets every label right on {right} of the {n} test texts ({acc:.0%}); micro-F1 "
                 "{micro:.2f}.", name=pick["name"], right=right, n=pick["n"], acc=pick["accuracy"],
                 micro=pick["micro_f1"])
    if len(rows) == 1:
        return _("The {name} gets {right} of the {n} test texts right ({acc:.0%}).", name=pick["name"], right=right,
                 n=pick["n"], acc=pick["accuracy"])
    if not paired:
        return _("The {name} is the most accurate here ({right} of {n} test texts right), but these runs were "
                 "tested on different rows, so no test says the gap is real.", name=pick["name"], right=right,
                 n=pick["n"])
    level = [r for r in rows if r is not pick and (r is best or vs_best[r["run"]]["p_value"] >= SIGNIFICANT)]
    twin = max((r for r in level if r["accuracy"] == pick["accuracy"]), key=lambda r: _cost(r, use_speed),
               default=None)  # a tie: name the dearest equal, the saving is the point
    if twin is not None:
        return _("The {name} is the sensible choice: as accurate as the {best} on these {n} test texts ({right} "
                 "right each) and {faster}.", name=pick["name"], best=twin["name"], n=pick["n"], right=right,
                 faster=_faster(pick, twin, use_speed, _))
    if pick is not best:
        return _("The {name} is the sensible choice: on these {n} test texts it is level with the most accurate, the "
                 "{best} ({acc:.0%} against {best_acc:.0%}; with p = {p:.2g} the gap could be luck), and {faster}.",
                 name=pick["name"], best=best["name"], n=pick["n"], acc=pick["accuracy"], best_acc=best["accuracy"],
                 p=vs_best[pick["run"]]["p_value"], faster=_faster(pick, best, use_speed, _))
    if not level:
        return _("The {name} is the sensible choice: the most accurate here ({right} of {n} test texts right), and "
                 "its lead over every other model is not luck.", name=pick["name"], right=right, n=pick["n"])
    return _("The {name} is the sensible choice: the most accurate here ({right} of {n} test texts right), and no "
             "model that is as accurate is cheaper.", name=pick["name"], right=right, n=pick["n"])


def distillation(rows: list[dict], preds: dict[str, list[str]], truth: list[str], lang: str = "en") -> str | None:
    """Teacher against students: the LLM that labelled the data (its run is marked `teacher`) beside the best model
    trained on its labels, on the test rows a person checked, with McNemar's p and the speed-up. None without both."""
    teacher = next((r for r in rows if r.get("teacher")), None)
    students = [r for r in rows if not r.get("teacher")]
    if teacher is None or not students or teacher["run"] not in preds:
        return None
    _ = translator(lang)
    student = max(students, key=_quality)
    said = _("The {student}, trained on the language model's labels, reaches {acc:.0%} against the {teacher}'s "
             "{teacher_acc:.0%}", student=student["name"], teacher=teacher["name"], acc=student["accuracy"],
             teacher_acc=teacher["accuracy"])
    if student["run"] in preds:
        said += _(" (p = {p:.2g})", p=mcnemar(truth, preds[teacher["run"]], preds[student["run"]])["p_value"])
    speedup = _times(teacher.get("texts_per_s"), student.get("texts_per_s"))
    return said + (_(", at {k:,.0f} times its speed.", k=speedup) if speedup >= 1.5 else _("."))
