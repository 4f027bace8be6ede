"""`python -m core dataset`: list datasets, show a dataset's versions, export one as CSV; archive, restore or
delete one."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from core.errors import DataError
from core.store import Store, default_data_dir


def add_parsers(sub) -> None:
    d = sub.add_parser("dataset", help="list datasets, show a dataset's versions, export a version as CSV; archive, "
                                       "restore or delete one")
    d.add_argument("action", choices=["list", "show", "export", "archive", "restore", "delete"])
    d.add_argument("id", nargs="?", help="the dataset id (from `dataset list`); needed by all but list")
    d.add_argument("--yes", action="store_true", help="delete: yes, remove it for good")
    d.add_argument("--version", type=int, help="the version to export (default: the newest)")
    d.add_argument("--out", help="the CSV file to write (export)")
    d.add_argument("--json", action="store_true")


def cmd_dataset(args) -> int:
    from core.data import versions  # put off: loads pandas (~0.5 s)

    store = Store(default_data_dir())
    known = {d["id"]: d for d in store.datasets(archived=None)}
    if args.action in ("archive", "restore", "delete"):
        from core import housekeeping

        if args.action == "delete":
            housekeeping.require_yes(args.yes, "dataset")
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
            print(f"  {v.summary()}; " + f"{v.rows:,} rows, " * bool(v.parent) + f"{v.test_rows} kept for testing"
                  + " (an LLM's labels: not checked by a person yet)" * (not v.checked))
        return 0
    if not args.out:
        raise DataError("Name the CSV file to write with --out FILE.")
    write_output(args.out, versions.export_csv(store, args.id, args.version))
    print(f"wrote v{args.version or versions.latest(store, args.id).n} to {args.out}", file=sys.stderr)
    return 0


def write_output(path: str, data: bytes) -> None:
    """Write a CLI command's --out file, or refuse in one sentence (a missing folder, no permission, a full disk)."""
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise DataError(f"Could not write {path}: {exc.strerror or exc}.") from exc
