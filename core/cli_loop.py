"""The closing-the-loop commands: `suggest` (what to label next), `dataset` (versions; archive, delete) and
`runs` (list, archive, delete the runs of the data directory)."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parsers(sub) -> None:
    s = sub.add_parser("suggest", help="rank unlabelled texts by how much labelling them would teach the models")
    s.add_argument("paths", nargs="+", metavar="RUN_DIR [RUN_DIR ...] UNLABELLED_FILE",
                   help="one or more run folders, then a file of texts (a text column is enough)")
    s.add_argument("--n", type=int, default=20, help="how many rows to suggest (default 20)")
    s.add_argument("--text-col", help="the text column (default: guessed)")
    s.add_argument("--json", action="store_true")
    d = sub.add_parser("dataset", help="list datasets, show a dataset's versions, export a version as CSV; archive, "
                                       "restore or delete one")
    d.add_argument("action", choices=["list", "show", "export", "archive", "restore", "delete"])
    d.add_argument("id", nargs="?", help="the dataset id (from `dataset list`); needed by all but list")
    d.add_argument("--yes", action="store_true", help="delete: yes, remove it for good")
    d.add_argument("--version", type=int, help="the version to export (default: the newest)")
    d.add_argument("--out", help="the CSV file to write (export)")
    d.add_argument("--json", action="store_true")
    r = sub.add_parser("runs", help="list the runs in TUNELAB_DATA_DIR; archive, restore or delete one")
    r.add_argument("action", choices=["list", "archive", "restore", "delete"])
    r.add_argument("id", nargs="?", help="the run id (from `runs list`); needed by all but list")
    r.add_argument("--all", action="store_true", help="list: archived runs too")
    r.add_argument("--yes", action="store_true", help="delete: yes, remove it for good")
    r.add_argument("--json", action="store_true")


def cmd_runs(args) -> int:
    from core import housekeeping
    from core.errors import DataError
    from core.runs import RunFolder
    from core.store import Store, default_data_dir

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
        _confirmed(args, "run")
        housekeeping.delete_run(store, args.id)
    else:
        housekeeping.archive_run(store, args.id, archived=args.action == "archive")
    print(f"{args.action}d run {args.id}", file=sys.stderr)
    return 0


def _confirmed(args, what: str) -> None:
    from core.errors import DataError

    if not args.yes:
        raise DataError("Deleting removes the {what} for good; add --yes to confirm (or archive it instead).",
                        what=what)


def cmd_suggest(args) -> int:
    from core.active import rank_for_labelling
    from core.cleaning import text_column
    from core.errors import DataError
    from core.onnx_export import load_for_inference
    from core.reading import read_table
    from core.runs import RunFolder

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
    ranked = rank_for_labelling(models, [texts[i] for i in keep], args.n)
    rows = [{**r, "row": keep[r["row"]]} for r in ranked]  # positions among the file's data rows
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        guesses = ", ".join(f"{k}: {v}" for k, v in r["guesses"].items())
        print(f"row {r['row']} (uncertainty {r['uncertainty']:.2f}; {guesses}): {r['text'][:80]}")
    print(f"{len(rows)} of {len(keep)} texts suggested, most uncertain first", file=sys.stderr)
    return 0


def cmd_dataset(args) -> int:
    from core import versions
    from core.errors import DataError
    from core.store import Store, default_data_dir

    store = Store(default_data_dir())
    known = {d["id"]: d for d in store.datasets(archived=None)}
    if args.action in ("archive", "restore", "delete"):
        from core import housekeeping

        if args.action == "delete":
            _confirmed(args, "dataset")
            housekeeping.delete_dataset(store, str(args.id))
        else:
            housekeeping.archive_dataset(store, str(args.id), archived=args.action == "archive")
        print(f"{args.action}d dataset {args.id}", file=sys.stderr)
        return 0
    if args.action == "list":
        rows = [{"id": i, "name": d["name"], "versions": len(versions.versions(store, i)),
                 "rows": versions.latest(store, i).rows, "archived": bool(d["archived"])} for i, d in known.items()]
        if args.json:
            print(json.dumps({"datasets": rows}, ensure_ascii=False, indent=1))
        for r in [] if args.json else rows:
            print(f"{r['id']}  {r['name']}  v{r['versions']}  {r['rows']:,} rows" + "  (archived)" * r["archived"])
        return 0
    if args.id not in known:
        raise DataError(f"No dataset with the id '{str(args.id)[:40]}'; `python -m core dataset list` shows them.")
    if args.action == "show":
        history = versions.versions(store, args.id)
        if args.json:
            print(json.dumps({"id": args.id, "name": known[args.id]["name"], "versions": [
                {**v.__dict__, "changes": versions.changes(store, args.id, v.n)} for v in history]},
                ensure_ascii=False, indent=1))
            return 0
        print(f"{known[args.id]['name']} ({args.id})")
        for v in history:
            print(f"  {v.summary()}; " + f"{v.rows:,} rows, " * bool(v.parent) + f"{v.test_rows} kept for testing")
        return 0
    if not args.out:
        raise DataError("Name the CSV file to write with --out FILE.")
    write_output(args.out, versions.export_csv(store, args.id, args.version))
    print(f"wrote v{args.version or versions.latest(store, args.id).n} to {args.out}", file=sys.stderr)
    return 0


def write_output(path: str, data: bytes) -> None:
    """Write a command's --out file, or refuse in one sentence (a missing folder, no permission, a full disk)."""
    from core.errors import DataError

    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise DataError(f"Could not write {path}: {exc.strerror or exc}.") from exc
