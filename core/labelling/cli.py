"""`python -m core llm-label`: an LLM labels a file of texts; rerun with the same --out to continue."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from core.errors import DataError


def add_parsers(sub) -> None:
    p = sub.add_parser("llm-label", help="let an LLM label a file of texts (resumable: rerun with the same --out)")
    p.add_argument("file", help="the texts (any format the Data page reads; a text column is enough)")
    p.add_argument("--classes", help="the categories: 'billing,shipping,...' (or one a line); required")
    p.add_argument("--describe", help="a text file: one line per category, 'category: what it means'")
    p.add_argument("--llm", default="default", help="the LLM: as `train --llm` (default: the embedded SmolLM2-135M)")
    p.add_argument("--shots-file", help="examples for the prompt: a file with a text and a label column")
    p.add_argument("--task", default="", help="what the LLM is told the task is, in one sentence")
    p.add_argument("--requests", type=int, default=8, help="requests sent to an LLM server at once")
    p.add_argument("--text-col", help="the text column (default: guessed)")
    p.add_argument("--out", required=True, help="the CSV to write: text, label, confidence, source")
    p.add_argument("--progress", help="append progress as JSON lines to this file (the app's jobs use it)")
    p.add_argument("--json", action="store_true")
    # the app's jobs: the settings as JSON (the Data page checked them), and an earlier job's --out to continue from
    p.add_argument("--request", help=argparse.SUPPRESS)
    p.add_argument("--resume-from", help=argparse.SUPPRESS)


def settings_from(args):
    """LabelSettings from the command line, or one sentence for what is unusable."""
    from core.config import TrainConfig
    from core.labelling.llm_label import LabelSettings, parse_classes, read_shots

    if args.request:
        return LabelSettings(**json.loads(Path(args.request).read_text(encoding="utf-8"))["settings"])
    if not args.classes:
        raise DataError("Name the categories with --classes, for example --classes \"billing,shipping\".")
    classes = parse_classes(args.classes)
    descriptions = _read_text(args.describe) if args.describe else ""
    shots = [list(e) for e in read_shots(args.shots_file, classes)] if args.shots_file else []
    TrainConfig(model="llm", llm=args.llm, task=args.task, descriptions=descriptions, requests=args.requests)  # checks
    return LabelSettings(classes, args.llm, descriptions, args.task, shots, args.requests)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError("Could not read '{file}' as UTF-8 text.", file=Path(path).name) from exc


def cmd_llm_label(args) -> int:
    from core.data.cleaning import load_dataset  # put off: loads pandas (~0.4 s)
    from core.labelling.llm_label import label_texts, scores_path, summary_path
    from core.worker import job_process

    with job_process(args.progress, lambda e: _echo(e, args.json)) as worker:
        def work():
            settings = settings_from(args)
            if args.resume_from and not scores_path(args.out).exists():
                for path in (scores_path, summary_path):  # the earlier job's answers, and what they cost
                    if path(args.resume_from).is_file():
                        shutil.copyfile(path(args.resume_from), path(args.out))
            texts = load_dataset(args.file, text_col=args.text_col, require_labels=False).df["text"].tolist()
            frame = label_texts(texts, args.out, settings, on_progress=worker.log, should_stop=worker.should_stop)
            worker.end["rows"] = len(frame)
            return frame

        frame = worker.run(work)
    if frame is None:  # stopped: what was scored is kept for the next run
        print(f"stopped; run the same command again to continue from {args.out}", file=sys.stderr)
        return 0
    counts = frame["label"].value_counts().to_dict()
    if args.json:
        print(json.dumps({"rows": len(frame), "out": args.out, "labels": counts,
                          "low_confidence": int((frame["confidence"] < 0.5).sum())}, ensure_ascii=False))
    else:
        print(f"wrote {len(frame)} labelled rows to {args.out}: "
              + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
    return 0


def _echo(event: dict, quiet: bool) -> None:
    if not quiet and event.get("event") == "step":
        print(f"\rlabelled {event['step']}/{event['total_steps']}", end="", file=sys.stderr, flush=True)
