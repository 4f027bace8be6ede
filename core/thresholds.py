"""Thresholds chosen on purpose: what a label's threshold does on the test rows, and saving one into a model.

For a multi-label model each label has its own threshold (tuned on validation rows at training, core.train); for
a two-class model the positive (second) class gets one. `operating_point` says, for one label and one threshold,
how many test texts would be flagged and how many of those are right (precision) and how many of the label's
texts are caught (recall), and `point_sentence` says it in words. `save_threshold` writes it into the model's
tunelab.json with who chose it and when, and re-scores the run's test rows with it, so Evaluate, Predict, the
API and the exported model all decide the same way. `python -m core threshold RUN --label L --value 0.7`.
"""
from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

import numpy as np

from core import labelsets
from core.contenders.base import META_FILE, read_meta
from core.errors import DataError
from core.i18n import translator


def threshold_labels(meta: dict) -> list[str]:
    """The labels whose threshold can be chosen: every label of a multi-label model, the positive class of a
    two-class one, none for three classes or more (they pick the top class)."""
    if meta.get("multi_label"):
        return list(meta["classes"])
    return [meta["classes"][1]] if len(meta["classes"]) == 2 else []


def current(meta: dict, label: str) -> float:
    return float((meta.get("thresholds") or {}).get(label, labelsets.DEFAULT_THRESHOLD))


def operating_point(frame, label: str, threshold: float) -> dict:
    """On a run's test predictions (`label` and `p:<label>` columns): texts flagged at `threshold`, precision and
    recall of the flag. Truth: the label is in the text's set (multi-label) or is its class."""
    score = frame[f"p:{label}"].to_numpy(dtype=float)
    truth = np.array([label in labelsets.decode(v) if labelsets.is_encoded(v) else str(v) == label
                      for v in frame["label"]])
    flagged = score >= threshold
    hits = int((flagged & truth).sum())
    return {"label": label, "threshold": float(threshold), "n": len(frame), "flagged": int(flagged.sum()),
            "positives": int(truth.sum()), "hits": hits,
            "precision": hits / flagged.sum() if flagged.any() else None,
            "recall": hits / truth.sum() if truth.any() else None}


def _in_words(share: float | None, _) -> str:
    """0.9 -> "9 in 10"; plain fractions read faster than percentages."""
    if share is None:
        return _("none")
    if share >= 0.995:
        return _("all")
    for den in (2, 3, 4, 5, 10):
        num = round(share * den)
        if abs(num / den - share) < 0.04 and 0 < num < den:
            return _("{num} in {den}", num=num, den=den)
    return f"{share:.0%}"


def point_sentence(point: dict, lang: str = "en") -> str:
    """"At 0.70, 9 in 10 flagged texts are really 'urgent', and 3 in 4 'urgent' texts are flagged (27 of 251 test
    texts flagged)." (in `lang`)"""
    _ = translator(lang)
    if not point["flagged"]:
        return _("At {t:.2f}, no test text is flagged as '{label}', so all {pos} '{label}' texts are missed.",
                 t=point["threshold"], label=point["label"], pos=point["positives"])
    return _("At {t:.2f}, {precision} flagged texts are really '{label}', and {recall} '{label}' texts are flagged "
             "({flagged} of {n} test texts flagged).", t=point["threshold"], label=point["label"],
             precision=_in_words(point["precision"], _), recall=_in_words(point["recall"], _),
             flagged=point["flagged"], n=point["n"])


def save_threshold(run_dir: str | Path, label: str, value: float, by: str) -> dict:
    """Write `label`'s threshold into the run's model (with who and when), then re-score its test rows with it.
    Returns the new test evaluation."""
    from core.evaluate import evaluate  # put off: loads pandas, scipy, sklearn (~1.8 s)
    from core.runs import RunFolder  # put off: loads pandas (~0.4 s)

    run = RunFolder(run_dir)
    meta = read_meta(run.model_dir)
    if label not in threshold_labels(meta):
        raise DataError("'{label}' has no threshold to choose in this model.", label=label[:80])
    if not 0.0 < value < 1.0:
        raise DataError("A threshold is a probability between 0 and 1, not {value}.", value=value)
    meta["thresholds"] = {**(meta.get("thresholds") or {}), label: round(float(value), 4)}
    meta["threshold_chosen"] = {"by": by.strip()[:80] or "unknown", "how": f"chosen for '{label}'",
                                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (run.model_dir / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return _rescore(run, meta, evaluate)


def _rescore(run, meta: dict, evaluate) -> dict:
    metrics, frame = run.metrics() or {}, run.predictions()
    if frame is None or "test" not in metrics:
        return {}
    classes, multi = list(meta["classes"]), bool(meta.get("multi_label"))
    proba = frame[[f"p:{c}" for c in classes]].to_numpy(dtype=float)
    frame["pred"] = labelsets.decide(proba, classes, multi, meta["thresholds"])
    ev = evaluate(frame["label"].tolist(), proba, classes, texts=frame["text"].tolist(), multi_label=multi,
                  thresholds=meta["thresholds"]).to_dict()
    run.write_predictions(frame)
    run.write_metrics(metrics | {"test": ev})
    return ev


def add_parsers(sub) -> None:
    t = sub.add_parser("threshold", help="show what a label's threshold does on the test rows, or save one into "
                                         "the model")
    t.add_argument("run", help="a run folder")
    t.add_argument("--label", help="the label (default: every label whose threshold can be chosen)")
    t.add_argument("--value", type=float, help="the threshold to try (with --save: to keep)")
    t.add_argument("--save", action="store_true", help="save --value into the model (Predict, the API and exports "
                                                        "use it)")
    t.add_argument("--by", default="", help="who chose it (default: this user's login name)")


def cmd_threshold(args) -> int:
    from core.runs import RunFolder  # put off: loads pandas (~0.4 s)

    run = RunFolder(args.run)
    meta, frame = read_meta(run.model_dir), run.predictions()
    labels = [args.label] if args.label else threshold_labels(meta)
    if not labels or any(x not in threshold_labels(meta) for x in labels):
        raise DataError("This model has no threshold to choose for '{label}'.", label=(args.label or "")[:80])
    if args.save:
        if args.value is None or not args.label:
            raise DataError("Saving a threshold needs --label and --value.")
        save_threshold(run.path, args.label, args.value, args.by or getpass.getuser())
        print(f"saved: '{args.label}' at {args.value:.2f}", file=sys.stderr)
        meta, frame = read_meta(run.model_dir), run.predictions()
    for label in labels:
        value = args.value if args.value is not None else current(meta, label)
        print(point_sentence(operating_point(frame, label, value)) if frame is not None else f"{label}: {value}")
    return 0
