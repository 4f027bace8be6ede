"""`python -m core explain`, `label-issues` and `suggest` (what to label next): the trust commands."""
from __future__ import annotations

import json
import sys

from core.contenders.registry import load_classifier
from core.errors import DataError
from core.trust.active import rank_for_labelling, text_vectors
from core.trust.explain import explain


def add_parsers(sub) -> None:
    e = sub.add_parser("explain", help="explain a model's prediction: a weight per word")
    e.add_argument("run", help="a run folder (or its model folder)")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="one text to explain")
    src.add_argument("--file", help="a file whose every row is explained (needs --out)")
    e.add_argument("--label", help="explain this label instead of the predicted one")
    e.add_argument("--text-col", help="the text column of --file (default: guessed)")
    e.add_argument("--out", help="JSON lines to write, one explanation a row (with --file)")
    e.add_argument("--json", action="store_true")
    q = sub.add_parser("label-issues", help="find labels that look wrong, conflicts, leakage and tiny classes")
    q.add_argument("file")
    q.add_argument("--text-col")
    q.add_argument("--label-col")
    q.add_argument("--json", action="store_true")
    q.add_argument("--out", help="CSV of the flagged rows, most likely wrong first")
    q.add_argument("--fix-out", help="CSV of the file with each flagged label replaced by the suggestion")
    q.add_argument("--fast", action="store_true", help="TF-IDF only (no sentence embeddings): seconds, lower precision")
    q.add_argument("--progress", help="append progress as JSON lines to this file (the app's jobs use it)")
    q.add_argument("--json-out", help="write the JSON result to this file")
    s = sub.add_parser("suggest", help="rank unlabelled texts by how much labelling them would teach the models")
    s.add_argument("paths", nargs="+", metavar="RUN_DIR [RUN_DIR ...] UNLABELLED_FILE",
                   help="one or more run folders, then a file of texts (a text column is enough)")
    s.add_argument("--n", type=int, default=20, help="how many rows to suggest (default 20)")
    s.add_argument("--text-col", help="the text column (default: guessed)")
    s.add_argument("--no-variety", dest="variety", action="store_false",
                   help="rank by uncertainty alone (default: each batch also picked for variety)")
    s.add_argument("--json", action="store_true")


def _shape(ex) -> dict:
    return {"label": ex.label, "confidence": round(ex.confidence, 4), "target": ex.target, "method": ex.method,
            "words": [{"word": w["word"], "weight": round(w["weight"], 5)} for w in ex.words]}


def cmd_explain(args) -> int:
    from core.runs import model_dir  # put off: loads pandas (~0.4 s)

    model = load_classifier(model_dir(args.run))
    if args.text is not None:
        ex = explain(model, args.text, args.label)
        if args.json:
            print(json.dumps(_shape(ex), ensure_ascii=False))
        else:
            print(f"{ex.label} ({ex.confidence:.0%} sure), words weighed for '{ex.target}' by {ex.method}:")
            for w in ex.top(10):
                print(f"  {w['weight']:+.4f}  {w['word']}")
        return 0
    if not args.out:
        raise DataError("--file needs --out: the JSON lines file to write the explanations to.")
    from core.data.cleaning import text_column  # put off: loads pandas (~0.4 s)
    from core.data.reading import read_table  # put off: loads pandas (~0.4 s)

    raw = read_table(args.file).df
    col = text_column(raw, args.text_col, "No column of free text was found in this file; name it with --text-col.")
    with open(args.out, "w", encoding="utf-8") as out:
        for i, text in enumerate(raw[col].astype(str)):
            out.write(json.dumps({"row": i, **_shape(explain(model, text, args.label))}, ensure_ascii=False) + "\n")
    print(f"explained {len(raw)} rows -> {args.out}", file=sys.stderr)
    return 0


def cmd_label_issues(args) -> int:
    from core.worker import job_process  # put off: loads pandas (~0.5 s)

    with job_process(args.progress, _print_checked) as worker:
        result = worker.run(lambda: _label_issues(args, worker))
    if result is None:  # cancelled
        return 0
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        _print_issues(result)
    return 0


def _label_issues(args, worker) -> dict:
    import pandas as pd  # put off: loads pandas (~0.4 s)

    from core.data.cleaning import dataset_from_raw  # put off: loads pandas (~0.4 s)
    from core.data.reading import read_table  # put off: loads pandas (~0.4 s)
    from core.trust.quality import check_labels, fixed_table  # put off: loads pandas (~0.5 s)

    raw = read_table(args.file)
    ds = dataset_from_raw(raw, text_col=args.text_col, label_col=args.label_col)
    worker.log({"event": "start", "rows": len(ds.df)})
    report = check_labels(ds.df, use_embeddings=not args.fast, on_progress=worker.log, should_stop=worker.should_stop)
    result = {"rows": report.rows, "issues": report.issues, "leakage": report.leakage, "conflicts": report.conflicts,
              "small_classes": report.small_classes, "sentence": report.sentence()}
    if args.out:
        pd.DataFrame(report.issues, columns=["row", "text", "given", "suggested", "confidence", "score"]).to_csv(
            args.out, index=False)
    if args.fix_out:
        fixed_table(raw.df, ds.report.label_column, report).to_csv(args.fix_out, index=False)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False)
    worker.end["issues"] = len(report.issues)
    return result


def _print_issues(result: dict) -> None:
    print(result["sentence"])
    for issue in result["issues"][:20]:
        print(f"  row {issue['row']}: '{issue['given']}' -> '{issue['suggested']}' ({issue['score']:.2f}) "
              f"{issue['text'][:70]}")
    for c in result["conflicts"][:10]:
        print(f"  same text, different labels ({', '.join(c['labels'])}): {c['text'][:70]}")
    if result["leakage"]:
        print(f"  {len(result['leakage'])} text(s) would be in both the train and the test split")
    if result["small_classes"]:
        print(f"  classes too small to learn: {', '.join(result['small_classes'])}")


def _print_checked(event: dict) -> None:
    """Progress on the terminal when no progress file was asked for."""
    if event.get("event") == "step":
        print(f"checked {event['step']} of {event['total_steps']}", file=sys.stderr)


def cmd_suggest(args) -> int:
    from core.data.cleaning import text_column  # put off: loads pandas (~0.4 s)
    from core.data.reading import read_table  # put off: loads pandas (~0.4 s)
    from core.deploy.runtimes import load_for_inference  # put off: loads pandas (~0.4 s)
    from core.runs import RunFolder  # put off: loads pandas (~0.4 s)

    if len(args.paths) < 2:
        raise DataError("Name at least one run folder and then the file of texts to rank.")
    if args.n < 1:
        raise DataError("--n must be at least 1.")
    *runs, file = args.paths
    raw = read_table(file).df
    col = text_column(raw, args.text_col, "No column of free text was found in this file; name it with --text-col.")
    texts = raw[col].astype(str).str.strip().tolist()
    keep = [i for i, t in enumerate(texts) if t]
    models = {RunFolder(r).name: load_for_inference(r) for r in runs}
    kept = [texts[i] for i in keep]
    # a batch picked for variety too (one text from each group of similar uncertain texts), unless --no-variety
    vectors = text_vectors(kept) if args.variety and len(kept) > args.n else None
    ranked = rank_for_labelling(models, kept, args.n, vectors=vectors)
    rows = [{**r, "row": keep[r["row"]]} for r in ranked]  # positions among the file's data rows
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        guesses = ", ".join(f"{k}: {v}" for k, v in r["guesses"].items())
        print(f"row {r['row']} (uncertainty {r['uncertainty']:.2f}; {guesses}): {r['text'][:80]}")
    print(f"{len(rows)} of {len(keep)} texts suggested, most uncertain first", file=sys.stderr)
    return 0
