"""The one list of job types: type -> the command its worker process runs.

A job is a row in the index (core.store) and a folder (core.runs.RunFolder) holding what it was asked
(config.json for a training, request.json for the others). The runner (core.jobs) queues, starts, watches
and cancels every job the same way; the only thing that differs between types is the command line, made
from the job's folder here. Workers are the CLI a user would type, and each runs inside the shared worker
helper (core.worker: SIGTERM, progress, the `end` event, the next job). Adding a type of job is one
`register` line: see tests/test_job_types.py, which adds one in the test alone.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable

from core.checkpoints import visible_gpus
from core.contenders import registry
from core.runs import RunFolder
from core.store import checked_id


@dataclass(frozen=True)
class JobType:
    """What the runner needs to know about one type of job."""

    name: str  # stored in the index's job_type column; never renamed (old indexes must load)
    argv: Callable[[RunFolder], list[str]]  # the arguments after `python` that run the job from its folder


_REGISTRY: dict[str, JobType] = {}


def register(job_type: JobType) -> JobType:
    """Add (or replace) a job type; returns it."""
    _REGISTRY[job_type.name] = job_type
    return job_type


def get(name: str) -> JobType | None:
    """The record of a job type, or None for one this process does not know (a newer version's, or a test's)."""
    return _REGISTRY.get(name)


def command(name: str, run: RunFolder) -> list[str] | None:
    """The full command line of a job of type `name` whose folder is `run`; None for an unknown type."""
    job_type = get(name)
    return [sys.executable, *job_type.argv(run)] if job_type else None


def _train(run: RunFolder) -> list[str]:
    """`python -m core train`, under `accelerate launch` with one process per GPU when there are several."""
    cmd = ["train", run.data_path(), "--out", str(run.path), "--config", str(run.config_path)]
    gpus = visible_gpus()
    if gpus > 1 and registry.get(run.config().model).multi_gpu:
        return ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(gpus), "-m", "core", *cmd]
    return ["-m", "core", *cmd]


def _predict(run: RunFolder) -> list[str]:
    """`python -m core predict`: a trained run labels every row of an uploaded file."""
    request = run.request()
    model = run.path.parent / checked_id(request["model_job"])  # a sibling run folder, by an id the runner made
    cmd = ["-m", "core", "predict", str(model), run.data_path(), "--out", str(run.labelled_path),
           "--progress", str(run.progress_path)]
    return cmd + (["--text-col", request["text_col"]] if request.get("text_col") else [])


def _quality(run: RunFolder) -> list[str]:
    """`python -m core label-issues`: out-of-fold predictions flag labels that look wrong."""
    request = run.request()
    return ["-m", "core", "label-issues", run.data_path(), "--text-col", request["text_col"], "--label-col",
            request["label_col"], "--json-out", str(run.label_report_path), "--progress", str(run.progress_path)]


def _llm_label(run: RunFolder) -> list[str]:
    """`python -m core llm-label`: an LLM labels every text of an upload; a resumed job starts from the scores
    its earlier job (a sibling folder) kept."""
    request = run.request()
    cmd = ["-m", "core", "llm-label", run.data_path(), "--request", str(run.request_path), "--out",
           str(run.labelled_path), "--progress", str(run.progress_path)]
    if request.get("resume_from"):
        cmd += ["--resume-from", str(RunFolder(run.path.parent / checked_id(request["resume_from"])).labelled_path)]
    return cmd + (["--text-col", request["text_col"]] if request.get("text_col") else [])


def _export(run: RunFolder) -> list[str]:
    """`python -m core export`: a fine-tuned run's OpenVINO int8 export (its fp32 kept if int8 loses accuracy)."""
    model = run.path.parent / checked_id(run.request()["model_job"])  # a sibling run folder, by an id the runner made
    return ["-m", "core", "export", str(model), "--format", "openvino", "--int8", "--progress", str(run.progress_path)]


TRAIN = register(JobType("train", _train))
PREDICT = register(JobType("predict", _predict))
QUALITY = register(JobType("quality", _quality))
LLM_LABEL = register(JobType("llm-label", _llm_label))
EXPORT = register(JobType("export", _export))
