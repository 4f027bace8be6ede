"""One training run, start to finish, into a run folder. The CLI and the app's
worker process both call `run_training`, so a run made in the browser can be
reproduced from a script with the same config.json.

RUN_DIR/ config.json  progress.jsonl  metrics.json  predictions.parquet  model/ (+ README.md card)
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd

from core.card import write_model_card
from core.config import TrainConfig
from core.errors import DataError
from core.evaluate import evaluate
from core.predict import proba_frame
from core.prepare import Dataset, load_dataset, require_two_classes, split_dataset
from core.progress import ProgressLog

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.parquet"


def is_main_process() -> bool:
    """Under `accelerate launch` every process runs this; only rank 0 writes files."""
    return int(os.environ.get("RANK", "0")) == 0


def run_training(config: TrainConfig, data: str | Path, out_dir: str | Path, *, on_progress=None,
                 should_stop=None) -> dict:
    """Train `config.model` on `data`'s train split, score it on the held-out test split,
    and write the run folder. Returns the metrics dict (also in metrics.json)."""
    out = Path(out_dir)
    main = is_main_process()
    log = ProgressLog(out, echo=on_progress) if main else (lambda e: None)
    if main:
        out.mkdir(parents=True, exist_ok=True)
        config.save(out / "config.json")
    t0 = time.time()
    try:
        metrics = _train(config, data, out, log, should_stop, main)
    except DataError as exc:
        log({"event": "end", "status": "failed", "error": str(exc), "seconds": round(time.time() - t0, 2)})
        raise
    except Exception as exc:  # a bug: record it so the run shows failed with a reason, then re-raise
        log({"event": "end", "status": "failed", "error": f"Unexpected error: {type(exc).__name__}: {exc}",
             "seconds": round(time.time() - t0, 2)})
        raise
    status = "cancelled" if metrics.get("stopped") else "done"
    log({"event": "end", "status": status, "best_step": metrics.get("best_step"), "seconds": round(time.time() - t0, 2)})
    return metrics


def _train(config: TrainConfig, data, out: Path, log, should_stop, main: bool) -> dict:
    ds = load_dataset(data, text_col=config.text_col, label_col=config.label_col)
    log({"event": "log", "message": f"Read {ds.report.rows} usable rows in {len(ds.report.classes)} classes."})
    df = _cap_rows(ds, config.max_rows, config.seed)
    require_two_classes(df["label"])
    split = split_dataset(df, config.val_fraction, config.test_fraction, config.seed)
    log({"event": "log", "message": f"Split: {len(split.train)} train, {len(split.val)} validation, {len(split.test)} test rows."})
    clf = config.build()
    fit_kwargs = {}
    if config.model == "finetune" and len(split.val):
        fit_kwargs["eval_set"] = (split.val["text"].tolist(), split.val["label"].tolist())
    t_fit = time.time()
    try:
        clf.fit(split.train["text"].tolist(), split.train["label"].tolist(), on_progress=log,
                should_stop=should_stop, **fit_kwargs)
    except InterruptedError:  # linear contenders stop between stages; nothing worth saving yet
        return {"stopped": True, "model": config.model}
    train_seconds = round(time.time() - t_fit, 2)
    test = split.test if len(split.test) else split.val
    proba = clf.predict_proba(test["text"].tolist())
    ev = evaluate(test["label"].tolist(), proba, list(clf.classes_), texts=test["text"].tolist(), seed=config.seed)
    metrics = {"model": config.model, "name": config.name or config.model, "classes": list(clf.classes_),
               "rows": {"train": len(split.train), "val": len(split.val), "test": len(test)},
               "train_seconds": train_seconds, "stopped": bool(getattr(clf, "stopped_", False)),
               "best_step": getattr(clf, "best_step_", None), "history": getattr(clf, "history_", []),
               "data_report": ds.report.to_dict(), "test": ev.to_dict()}
    if main:
        clf.save(out / "model")
        write_model_card(out / "model", config, metrics)
        _save_predictions(out / PREDICTIONS_FILE, test, proba, list(clf.classes_))
        (out / METRICS_FILE).write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    return metrics


def _cap_rows(ds: Dataset, max_rows: int | None, seed: int) -> pd.DataFrame:
    """A seeded random sample of at most `max_rows` rows (class mix kept on average)."""
    df = ds.df
    if max_rows and len(df) > max_rows:
        df = df.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    return df


def _save_predictions(path: Path, test: pd.DataFrame, proba, classes: list[str]) -> None:
    df = proba_frame(test["text"].tolist(), proba, classes)
    df.insert(1, "label", test["label"].values)
    df.to_parquet(path, index=False)


def read_metrics(run_dir: str | Path) -> dict | None:
    path = Path(run_dir) / METRICS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
