"""`python -m core suggest`: the closing-the-loop commands."""
from __future__ import annotations

import json
import sys


def add_parsers(sub) -> None:
    s = sub.add_parser("suggest", help="rank unlabelled texts by how much labelling them would teach the models")
    s.add_argument("paths", nargs="+", metavar="RUN_DIR [RUN_DIR ...] UNLABELLED_FILE",
                   help="one or more run folders, then a file of texts (a text column is enough)")
    s.add_argument("--n", type=int, default=20, help="how many rows to suggest (default 20)")
    s.add_argument("--text-col", help="the text column (default: guessed)")
    s.add_argument("--json", action="store_true")


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
    col = text_column(raw, args.text_col, "name it with --text-col")
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
