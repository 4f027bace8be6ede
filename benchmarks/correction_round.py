"""A correction round through the real loop: a real dataset with 10% of its labels flipped is saved as v1,
the label check flags rows, a careful reviewer (simulated) accepts only the suggestions that restore the
original label, the accepted corrections become v2 (core.data.feedback -> core.data.versions), and the baseline and the
fine-tuned Transformer are trained on v1 and on v2 and scored on the dataset's clean test.csv.
Target: both contenders score higher on v2; each delta is reported with McNemar's p-value.

    python benchmarks/correction_round.py [--only trec sms_spam] [--rows 3000]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.label_issues import flip  # noqa: E402
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.checkpoints import quiet_transformers  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.contenders import registry  # noqa: E402
from core.data import feedback, versions  # noqa: E402
from core.data.cleaning import load_dataset  # noqa: E402
from core.data.datasets import save_dataset  # noqa: E402
from core.evaluate import mcnemar  # noqa: E402
from core.store import Store  # noqa: E402
from core.trust.quality import check_labels  # noqa: E402

RECIPES = {"baseline": TrainConfig(model="baseline"),
           # the Quick demo's recipe (3 epochs, lr 1e-4, 64 tokens): ~4 minutes a fit of 5,000 rows on 2 cores.
           # At 1 epoch the fine-tune barely learns the flipped labels, so fixing them changed nothing
           # (trec 0.940 -> 0.938, sms_spam 0.985 -> 0.984, both p = 1, measured 2026-11-26)
           "finetune": TrainConfig(model="finetune", epochs=3, max_length=64, lr=1e-4)}


def one_round(name: str, rows: int, seed: int = 0) -> dict:
    train = pd.read_csv(SHARED / name / "train.csv").dropna().drop_duplicates("text")
    train = train.sample(n=min(rows, len(train)), random_state=seed).reset_index(drop=True)
    test = pd.read_csv(SHARED / name / "test.csv").dropna()
    noisy, flipped = flip(train, 0.10, seed)
    store = Store(Path(tempfile.mkdtemp()) / "data")
    path = store.root / "noisy.csv"
    store.root.mkdir(parents=True, exist_ok=True)
    noisy.to_csv(path, index=False)
    dataset_id = save_dataset(store, load_dataset(path), path.read_bytes(), "noisy.csv")
    v1 = versions.rows(store, dataset_id, 1)  # uid = position in the file = position in `train`
    report = check_labels(v1.rename(columns={"uid": "row"}), seed=seed)
    truth_of = dict(enumerate(train["label"]))
    accepted = [i for i in report.issues if i["suggested"] == truth_of[i["row"]]]  # the careful reviewer
    feedback.add(store, dataset_id, [{"uid": i["row"], "label": i["suggested"]} for i in accepted], "review")
    v2 = feedback.apply(store, dataset_id)
    out = {"name": name, "rows": len(train), "flipped": len(flipped), "flagged": len(report.issues),
           "accepted": len(accepted), "restored": len({i["row"] for i in accepted} & flipped), "version": v2.tag}
    for kind, recipe in RECIPES.items():
        preds = {}
        for n in (1, 2):
            frame = versions.rows(store, dataset_id, n)
            model = registry.get(kind).build(recipe).fit(frame["text"].tolist(), frame["label"].tolist())
            preds[n] = list(model.predict(test["text"].tolist()))
        acc = {n: float(np.mean([p == t for p, t in zip(preds[n], test["label"], strict=False)])) for n in (1, 2)}
        out[kind] = {"v1": acc[1], "v2": acc[2], "p": mcnemar(test["label"].tolist(), preds[1], preds[2])["p_value"]}
        print(name, kind, out[kind], flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", nargs="*", default=["trec", "sms_spam"])
    p.add_argument("--rows", type=int, default=5000, help="training rows sampled per dataset (all of trec and sms_spam)")
    args = p.parse_args()
    quiet_transformers()
    results = [one_round(n, args.rows) for n in args.only if (SHARED / n / "train.csv").is_file()]
    lines = ["| dataset | rows | flipped | flagged | accepted (restored) | baseline v1 -> v2 (p) | fine-tune v1 -> v2 (p) |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        cells = [f"{r[k]['v1']:.3f} -> **{r[k]['v2']:.3f}** ({r[k]['v2'] - r[k]['v1']:+.3f}, p = {r[k]['p']:.2g})"
                 for k in RECIPES]
        lines.append(f"| {r['name']} | {r['rows']:,} | {r['flipped']} | {r['flagged']} | {r['accepted']} "
                     f"({r['restored']}) | {cells[0]} | {cells[1]} |")
    raised = sum(r[k]["v2"] > r[k]["v1"] for r in results for k in RECIPES)
    write_section("A correction round: flag, review, v2, retrain", f"""
Each dataset: {args.rows:,} random train rows, 10% of labels flipped at random to another class (seed 0), saved
as v1. The label check (core.trust.quality) flags rows; a simulated careful reviewer accepts a suggestion only when it
restores the original label; the accepted corrections go through the corrections queue into v2
(core.data.feedback, core.data.versions). Baseline and fine-tuned MiniLM (3 epochs, 64 tokens, lr 1e-4) trained on all
rows of v1 and of v2, scored on the dataset's clean `test.csv`; p from McNemar's test on the same test rows.

{chr(10).join(lines)}

Accuracy rose on v2 in **{raised} of {len(results) * len(RECIPES)}** contender-dataset pairs (target: all).
""")


if __name__ == "__main__":
    main()
