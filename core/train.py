"""One training run, start to finish, into a run folder. The CLI and the app's
worker process both call `run_training`, so a run made in the browser can be
reproduced from a script with the same config.json. The folder's layout is
core.runs' business; this module only says what goes in it.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd

from core import labelsets
from core.card import write_model_card
from core.config import TrainConfig
from core.contenders import registry
from core.data.cleaning import Split, load_dataset, require_two_classes, split_dataset
from core.data.versions import fixed_split
from core.errors import DataError
from core.evaluate import evaluate
from core.i18n import Phrase
from core.predict import proba_frame
from core.recommend import encoder_mb, measure_speed, size_mb, usage_per_text
from core.runs import RunFolder, readable_name
from core.store import JobStatus, require_free_space, storage_error
from core.worker import Worker


def is_main_process() -> bool:
    """Under `accelerate launch` every process runs this; only rank 0 writes files."""
    return int(os.environ.get("RANK", "0")) == 0


def run_training(config: TrainConfig, data: str | Path, out_dir: str | Path, *, on_progress=None,
                 should_stop=None) -> dict:
    """Train `config.model` on `data`'s train split, score it on the held-out test split,
    and write the run folder. Returns the metrics dict (also in metrics.json)."""
    generated, when = not config.name, time.time()
    if generated:
        config = config.with_(name=readable_name(config, Path(str(data)).stem, when))
    run = RunFolder(out_dir)
    main = is_main_process()
    log = run.progress_log(echo=on_progress) if main else (lambda e: None)
    if main:  # the data's path too (a job's folder has it already): the OpenVINO export calibrates on its texts
        run.create(config, data if Path(str(data)).is_file() else None)
        if generated:  # charts call it by its contender; other languages make the name again from these
            run.save_name_parts(Path(str(data)).stem, when)
    worker = Worker(log, should_stop)
    metrics = worker.run(lambda: _train(config, data, run, worker, main))
    if metrics is None:  # stopped before the contender had anything worth saving
        return {"stopped": True, "model": config.model}
    return metrics


def _train(config: TrainConfig, data, run: RunFolder, worker: Worker, main: bool) -> dict:
    log = worker.log
    ds = load_dataset(data, text_col=config.text_col, label_col=config.label_col, multi_label=config.several_labels())
    multi = bool(ds.report.multi_label)
    log({"event": "log", "message": f"Read {ds.report.rows} usable rows in {len(ds.report.classes)} "
                                    f"{'labels (several a text)' if multi else 'classes'}."})
    spec = registry.get(config.model)
    if multi:
        require_learnable_sets(ds.report.classes, spec)
    tag = config.data_version()  # {"dataset_id", "version"} when the config names a dataset version, else None
    split = fixed_split(data, ds.df) if tag else None  # a dataset version keeps the test rows chosen at v1
    if split is None:
        df = _cap(ds.df, config.max_rows, config.seed)
        require_two_classes(df["label"])
        split = split_dataset(df, config.val_fraction, config.test_fraction, config.seed)
    else:
        require_two_classes(ds.df["label"])
        # max_rows caps training (and validation, checked every few steps); the test rows stay whole
        split = Split(_cap(split.train, config.max_rows, config.seed),
                      _cap(split.val, config.max_rows and max(1, config.max_rows // 8), config.seed), split.test)
    log({"event": "log", "message": f"Split: {len(split.train)} train, {len(split.val)} validation, {len(split.test)} test rows."})
    if not len(split.test) and not len(split.val):  # every class under 3 rows: nothing held out to score on
        raise DataError("Too few labelled texts to keep any for testing: a category needs at least 3 labelled texts "
                        "before some can be held out; label a few more of each first.")
    if main:  # a whole epoch trained, then "no space left" at save time, wastes the user's time
        require_free_space(run.path, spec.disk_mb)
    clf = spec.build(config)
    fit_kwargs = {"eval_set": (split.val["text"].tolist(), _targets(split.val, multi))} \
        if spec.validates and len(split.val) else {}
    t_fit = time.time()
    clf.fit(split.train["text"].tolist(), _targets(split.train, multi), on_progress=log,
            should_stop=worker.should_stop, **fit_kwargs)  # FitStopped: nothing worth saving yet (Worker.run)
    if multi:
        tune_thresholds(clf, split.val, log)
    train_seconds = round(time.time() - t_fit, 2)
    test = split.test if len(split.test) else split.val
    before, t_predict = clf.usage(), time.perf_counter()
    proba = clf.predict_proba(test["text"].tolist())
    seconds, after = time.perf_counter() - t_predict, clf.usage()
    speed = measure_speed(clf, test["text"].tolist(), seconds) | usage_per_text(before, after, getattr(clf, "price_", None))
    ev = evaluate(test["label"].tolist(), proba, list(clf.classes_), texts=test["text"].tolist(), seed=config.seed,
                  multi_label=multi, thresholds=clf.thresholds_)
    metrics = {"model": config.model, "name": config.name or config.model, "classes": list(clf.classes_),
               "rows": {"train": len(split.train), "val": len(split.val), "test": len(test)},
               "train_seconds": train_seconds, "stopped": bool(clf.stopped_), "best_step": clf.best_step_,
               "history": list(clf.history_), "data_report": ds.report.to_dict(), "test": ev.to_dict(),
               "speed": speed}
    if tag:
        metrics["data_version"] = tag
    worker.end["best_step"] = clf.best_step_
    if clf.stopped_:  # stopped early, but what it learned is kept and scored
        worker.status = JobStatus.CANCELLED
    if main:
        frame = proba_frame(test["text"].tolist(), proba, list(clf.classes_), clf.decide(proba))
        frame.insert(1, "label", test["label"].values)
        if "uid" in test:  # row identity: Evaluate re-scores runs of different versions on the newest labels
            frame.insert(2, "uid", test["uid"].values)
        try:
            clf.save(run.model_dir)
            speed["size_mb"] = round(size_mb(run.model_dir) + encoder_mb(spec, config, run.model_dir)
                                     + clf.external_mb(), 2)
            write_model_card(run.model_dir, config, metrics)
            run.write_predictions(frame)
            run.write_metrics(metrics)  # last: a run with metrics.json is a complete run
        except OSError as exc:  # full or read-only disk: leave no half-written model behind
            shutil.rmtree(run.model_dir, ignore_errors=True)
            raise storage_error(run.path, exc) from exc
    return metrics


def _targets(frame: pd.DataFrame, multi: bool) -> list:
    """What `fit` is given: the labels, or for texts with several labels each text's list of labels."""
    return [labelsets.decode(v) for v in frame["label"]] if multi else frame["label"].tolist()


def require_learnable_sets(counts: dict[str, int], spec) -> None:
    """Texts with several labels: refuse, in one sentence, what cannot be trained."""
    if spec.tunes_llm:  # the prompted LLM asks yes or no for each label (core.contenders.llm_sets); LoRA does not
        raise DataError("The {title} gives each text one label; for texts with several labels train the other "
                        "models.", title=Phrase(spec.title))
    once = sorted(k for k, v in counts.items() if v < 2)
    if once:
        raise DataError("The label '{label}' is used by only one text; a model cannot learn a label from one "
                        "example, so label a few more texts with it or remove it.", label=once[0])


def tune_thresholds(clf, val: pd.DataFrame, log) -> None:
    """Each label's threshold, chosen to maximise its F1 on the validation rows (never the test rows), saved
    with the model; without validation rows every label keeps 0.5."""
    if not len(val):
        return
    classes = list(clf.classes_)
    proba = clf.predict_proba(val["text"].tolist())
    clf.thresholds_ = labelsets.tune_thresholds(labelsets.matrix(val["label"], classes), proba, classes)
    clf.threshold_chosen_ = {"by": "tuned", "how": "best F1 on each label's validation rows", "rows": len(val),
                             "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    log({"event": "log", "message": f"Thresholds tuned on {len(val)} validation rows."})


def _cap(df: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """A seeded random sample of at most `max_rows` rows (class mix kept on average)."""
    if max_rows and len(df) > max_rows:
        df = df.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    return df
