"""`python -m core`: the engine for scripts and CI.

Exit codes: 0 success, 2 a user or data problem (one `error: ...` line on
stderr), 1 a bug (traceback). The app's training worker is this same CLI.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import typing
from dataclasses import fields

from core import housekeeping
from core.chat.cli import add_chat_parser
from core.config import TrainConfig
from core.contenders import registry
from core.data.cli import add_parsers as add_data_parsers
from core.deploy.cli import add_parsers as add_deploy_parsers
from core.errors import DataError
from core.labelling.cli import add_parsers as add_labelling_parsers
from core.store import Store, default_data_dir
from core.thresholds import add_parsers as add_threshold_parsers
from core.trust.cli import add_parsers as add_trust_parsers


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Tunelab: train and compare text classifiers.")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("inspect", help="read a file and print its cleaning report")
    i.add_argument("file")
    _columns(i)
    i.add_argument("--json", action="store_true")
    t = sub.add_parser("train", help="train one contender and write a run folder")
    t.add_argument("file")
    t.add_argument("--out", required=True, help="run folder to create")
    t.add_argument("--config", help="a config.json to start from (flags override it)")
    config_options(t)
    e = sub.add_parser("evaluate", help="score runs on a labelled file")
    e.add_argument("runs", nargs="+")
    e.add_argument("--data", required=True)
    _columns(e)
    e.add_argument("--json", action="store_true")
    r = sub.add_parser("predict", help="label every row of a file")
    r.add_argument("run")
    r.add_argument("file")
    r.add_argument("--text-col")
    r.add_argument("--out", help="CSV to write (default: stdout)")
    r.add_argument("--progress", help="append progress as JSON lines to this file (the app's file jobs use it)")

    add_chat_parser(sub)
    add_trust_parsers(sub)
    add_deploy_parsers(sub)
    add_data_parsers(sub)
    add_labelling_parsers(sub)
    add_threshold_parsers(sub)
    r = sub.add_parser("runs", help="list the runs in TUNELAB_DATA_DIR; archive, restore or delete one")
    r.add_argument("action", choices=["list", "archive", "restore", "delete"])
    r.add_argument("id", nargs="?", help="the run id (from `runs list`); needed by all but list")
    r.add_argument("--all", action="store_true", help="list: archived runs too")
    r.add_argument("--yes", action="store_true", help="delete: yes, remove it for good")
    r.add_argument("--json", action="store_true")

    return p


def config_options(p: argparse.ArgumentParser) -> None:
    """One option per TrainConfig field (`--batch-size` for batch_size), typed and helped from
    the field itself, so every setting can be given and the CLI cannot drift from the config."""
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        typ = next(a for a in typing.get_args(hints[f.name]) or (hints[f.name],) if a is not type(None))
        extra = {"choices": registry.kinds()} if f.name == "model" else {}
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=typ, default=None,
                       help=f.metadata.get("help", "") + ("" if f.default in (None, "") else f" (default: {f.default})"),
                       **extra)


def config_overrides(args) -> dict:
    """The config fields given on the command line."""
    return {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name, None) is not None}


def _columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-col")
    p.add_argument("--label-col")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = COMMANDS[args.command]
    if isinstance(command, str):
        module, name = command.split(":")
        command = getattr(importlib.import_module(module), name)
    try:
        return command(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2


def cmd_inspect(args) -> int:
    from core.data.cleaning import load_dataset  # put off: loads pandas (~0.4 s)

    report = load_dataset(args.file, text_col=args.text_col, label_col=args.label_col, require_labels=False).report
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"{report.rows} usable rows of {report.rows_in}; text column '{report.text_column}', "
          f"label column '{report.label_column}'")
    for k, v in report.dropped.items():
        if v:
            print(f"  dropped {v} row(s): {k.replace('_', ' ')}")
    for label, n in report.classes.items():
        print(f"  {label}: {n}")
    for w in report.warnings:
        print(f"note: {w}")
    return 0


def cmd_train(args) -> int:
    from core.train import is_main_process, run_training  # put off: loads pandas (~0.5 s)
    from core.worker import job_process  # put off: loads pandas (~0.5 s)

    base = TrainConfig.load(args.config) if args.config else TrainConfig()
    config = base.with_(**config_overrides(args))
    main = is_main_process()  # under `accelerate launch` one process, not each, moves the queue on
    # run_training writes the run folder's progress; the process adds Cancel (SIGTERM) and the next job
    with job_process(main=main) as worker:
        metrics = run_training(config, args.file, args.out, on_progress=_print_progress,
                               should_stop=worker.should_stop)
    if "test" in metrics and main:
        ev = metrics["test"]
        first = f"micro-F1 {ev['multi']['micro_f1']:.4f}, exact-match accuracy" if ev.get("multi") else "accuracy"
        print(f"{config.model}: {first} {ev['accuracy']:.4f}, macro-F1 {ev['macro_f1']:.4f} on {ev['n']} test rows "
              f"-> {args.out}", file=sys.stderr)
    return 0


def _print_progress(event: dict) -> None:
    kind = event.get("event")
    if kind == "step" and event.get("loss") is not None:
        msg = f"step {event['step']} epoch {event.get('epoch', 0):.2f} loss {event['loss']:.4f} " \
              f"{event.get('samples_per_s', 0)} samples/s eta {event.get('eta_s', 0)}s"
    elif kind == "eval":
        msg = f"eval step {event['step']}: val macro-F1 {event['val_macro_f1']:.4f} accuracy {event['val_accuracy']:.4f}"
    elif kind == "end" and event.get("status") == "failed":
        return  # main() prints the one `error:` line
    elif kind in ("log", "start", "end"):
        msg = event.get("message") or json.dumps({k: v for k, v in event.items() if k != "t"})
    else:
        return
    print(msg, file=sys.stderr, flush=True)


def cmd_evaluate(args) -> int:
    from core.compare import evaluate_runs  # put off: loads pandas (~0.5 s)

    result = evaluate_runs(args.runs, args.data, text_col=args.text_col, label_col=args.label_col)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    cell = lambda v, fmt: "-" if v is None else fmt.format(v)  # noqa: E731 - not measured for older runs
    print(f"{'run':<40} {'accuracy':>8} {'macro-F1':>8} {'n':>6} {'texts/s':>9} {'s/1000':>8} {'train s':>8} "
          f"{'p50 ms':>7} {'MB':>7} {'tok/text':>8} {'$/1000':>8}")
    for c in result["contenders"]:
        print(f"{c['name'][:40]:<40} {c['accuracy']:>8.4f} {c['macro_f1']:>8.4f} {c['n']:>6} "
              f"{cell(c['texts_per_s'], '{:>9,.1f}'):>9} {cell(c['s_per_1000'], '{:>8,.1f}'):>8} "
              f"{cell(c['train_s'], '{:>8,.1f}'):>8} {cell(c['p50_ms'], '{:>7,.1f}'):>7} "
              f"{cell(c['size_mb'], '{:>7,.1f}'):>7} {cell(c['tokens_per_text'], '{:>8,.0f}'):>8} "
              f"{cell(c['usd_per_1000'], '{:>8,.4f}'):>8}")
    for m in result["mcnemar"]:
        print(m["sentence"])
    return 0


def cmd_predict(args) -> int:
    from core.deploy.runtimes import load_for_inference  # put off: loads pandas (~0.4 s)
    from core.predict import predict_table  # put off: loads pandas (~0.4 s)
    from core.worker import job_process  # put off: loads pandas (~0.5 s)

    with job_process(args.progress) as worker:
        def work():
            worker.log({"event": "start"})
            df = predict_table(load_for_inference(args.run), args.file, text_col=args.text_col,
                               on_progress=worker.log, should_stop=worker.should_stop)
            if args.out:
                df.to_csv(args.out, index=False)
                print(f"wrote {len(df)} rows to {args.out}", file=sys.stderr)
            else:
                df.to_csv(sys.stdout, index=False)
            worker.end["rows"] = len(df)

        worker.run(work)
    return 0


def cmd_runs(args) -> int:
    from core.runs import RunFolder  # put off: loads pandas (~0.4 s)

    store = Store(default_data_dir())
    if args.action == "list":
        jobs = store.jobs(job_type="train", limit=100_000, archived=None if args.all else False)
        rows = [{"id": j.id, "name": RunFolder(store.run_dir(j.id)).name, "status": j.status,
                 "dataset": j.dataset_id, "archived": bool(j.archived)} for j in jobs]
        if args.json:
            print(json.dumps({"runs": rows}, ensure_ascii=False, indent=1))
        for row in [] if args.json else rows:
            print(f"{row['id']}  {row['status']:<9} {row['name']}" + "  (archived)" * row["archived"])
        return 0
    if not args.id:
        raise DataError("Name the run: `python -m core runs list` shows the ids.")
    if args.action == "delete":
        housekeeping.require_yes(args.yes, "run")
        housekeeping.delete_run(store, args.id)
    else:
        housekeeping.archive_run(store, args.id, archived=args.action == "archive")
    print(f"{args.action}d run {args.id}", file=sys.stderr)
    return 0


# Commands defined elsewhere are named "module:function" and imported only when run, so
# `python -m core train` never loads FastAPI, onnxruntime or llama.cpp.
COMMANDS = {"inspect": cmd_inspect, "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "chat": "core.chat.cli:run_chat", "explain": "core.trust.cli:cmd_explain",
            "label-issues": "core.trust.cli:cmd_label_issues", "serve": "core.deploy.cli:cmd_serve",
            "export": "core.deploy.cli:cmd_export", "suggest": "core.trust.cli:cmd_suggest",
            "dataset": "core.data.cli:cmd_dataset", "feedback": "core.deploy.cli:cmd_feedback",
            "runs": cmd_runs, "llm-label": "core.labelling.cli:cmd_llm_label",
            "threshold": "core.thresholds:cmd_threshold"}
