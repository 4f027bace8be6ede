"""The teacher run: the LLM that labelled a dataset, scored on the test rows a person checked, beside the students
trained on its labels. Nothing is asked of the LLM again: it already answered every text, test rows included, and
its scores file (core.labelling.llm_label) holds those answers; its speed and cost are the labelling's own.
The run folder is a prompted-LLM run like any other (Predict, the report and the API load it), marked `teacher`.
"""
from __future__ import annotations

import json
import time

import pandas as pd

from core.card import write_model_card
from core.config import TrainConfig
from core.contenders.base import META_FILE
from core.data import versions
from core.data.datasets import read_report
from core.evaluate import evaluate
from core.labelling.llm_label import LabelSettings, final_proba, read_scores, summary_path
from core.predict import proba_frame
from core.recommend import size_mb
from core.runs import RunFolder, llm_name
from core.store import JobStatus, Store, new_id


def record_teacher(store: Store, dataset_id: str, version: versions.Version) -> str | None:
    """Write the labeller's run for `version` (its test rows checked); returns its job id, or None when the
    dataset was not LLM-labelled or the labelling job's folder is gone."""
    by = read_report(store, dataset_id).get("labelled_by")
    source = RunFolder(store.run_dir(by["job"])) if by else None
    if source is None or not source.labelled_path.is_file():
        return None
    settings = LabelSettings(**source.request()["settings"])
    texts = pd.read_csv(source.labelled_path, dtype=str, keep_default_na=False)["text"].tolist()
    scores = read_scores(source.labelled_path, settings, texts)
    proba, calibrated = final_proba(scores, len(texts))
    rows = versions.rows(store, dataset_id, version.n)
    test = rows[rows["split"] == "test"]
    p = proba[test["uid"].astype(int).values]
    summary = json.loads(summary_path(source.labelled_path).read_text(encoding="utf-8"))
    name = f"{llm_name(settings.llm)} (teacher) · {version.tag}"
    config = TrainConfig(model="llm", llm=settings.llm, shots=len(settings.shots) // len(settings.classes),
                         task=settings.task, descriptions=settings.descriptions, requests=settings.requests,
                         name=name, dataset_id=dataset_id, dataset_version=version.n)
    ev = evaluate(test["label"].tolist(), p, settings.classes, texts=test["text"].tolist(), seed=config.seed)
    job_id = new_id()
    run = RunFolder(store.run_dir(job_id)).create(config, versions.rows_path(store, dataset_id, version.n))
    _write_model(run, settings, config, summary, scores[-1], calibrated)
    metrics = {"model": "llm", "name": name, "classes": settings.classes, "teacher": True,
               "rows": {"train": 0, "val": 0, "test": len(test)}, "train_seconds": 0, "stopped": False,
               "best_step": None, "history": [], "test": ev.to_dict(), "data_version": config.data_version(),
               "speed": {**summary["speed"], "size_mb": round(size_mb(run.model_dir), 2)}}
    frame = proba_frame(test["text"].tolist(), p, settings.classes)
    frame.insert(1, "label", test["label"].values)
    frame.insert(2, "uid", test["uid"].values)
    write_model_card(run.model_dir, config, metrics)
    run.write_predictions(frame)
    run.write_metrics(metrics)
    run.progress_log()({"event": "end", "status": "done", "seconds": 0})
    store.add_job(job_id, name, "llm", dataset_id, config.to_dict(), job_type="train")
    now = time.time()
    store.update_job(job_id, status=JobStatus.DONE, started=now, finished=now)
    return job_id


def _write_model(run: RunFolder, settings: LabelSettings, config: TrainConfig, summary: dict, content_free: list,
                 calibrated: bool) -> None:
    """The prompted-LLM contender's saved form (core.contenders.llm): Predict, the report and the API load the teacher
    like any LLM run, answering as it did while labelling (same prompt, same calibration)."""
    meta = {"kind": "llm", "classes": settings.classes, "examples": settings.shots, "reference": summary["reference"],
            "content_free": content_free, "calibrated": calibrated, "history": [], "coarse": summary["coarse"],
            "params": {"llm": settings.llm, "shots": config.shots, "task": settings.task, "calibrate": calibrated,
                       "seed": config.seed, "descriptions": settings.descriptions, "requests": settings.requests}}
    run.model_dir.mkdir(parents=True, exist_ok=True)
    (run.model_dir / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
