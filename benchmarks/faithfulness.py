"""Are the explanations faithful, and fast enough? (ERASER comprehensiveness, DeYoung et al. 2020)

Each contender is trained on SST-2 train rows, then explains its own prediction for 200
SST-2 test sentences. Deleting the top 20% of words by attribution (at least one) must
lower the predicted label's probability at least twice as much as deleting as many
random words (mean of 5 random draws). Also the seconds per explanation (target: at
most 1 s for texts of up to 64 words on 2 cores).

    python benchmarks/faithfulness.py [--train-rows 3000] [--texts 200]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.trust.explain import comprehensiveness, explain  # noqa: E402

RANDOM_DRAWS = 5


def measure(model, texts: list[str], rng) -> tuple[list[float], list[float], list[float]]:
    """Per text: probability drop of the predicted label for the top-20% words and for random words; seconds."""
    top_drops, random_drops, seconds = [], [], []
    for text in texts:
        t0 = time.perf_counter()
        ex = explain(model, text)
        seconds.append(time.perf_counter() - t0)
        if not ex.words:
            continue
        top, random = comprehensiveness(model, text, ex, rng, share=0.2, draws=RANDOM_DRAWS)
        top_drops.append(top)
        random_drops.append(random)
    return top_drops, random_drops, seconds


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--train-rows", type=int, default=3000)
    a.add_argument("--texts", type=int, default=200)
    args = a.parse_args()
    train = pd.read_csv(SHARED / "sst2" / "train.csv").sample(n=args.train_rows, random_state=0)
    test = pd.read_csv(SHARED / "sst2" / "test.csv")
    test = test[test["text"].str.split().str.len() <= 64].sample(n=args.texts, random_state=0)
    configs = {"baseline": TrainConfig(), "embeddings": TrainConfig(model="embeddings"),
               "finetune": TrainConfig(model="finetune", epochs=1, batch_size=32, max_length=64, lr=8e-5)}
    lines = ["| contender | method | top-20% drop | random drop | **ratio** | s / explanation (mean, max) | train s |",
             "|---|---|---|---|---|---|---|"]
    for kind, config in configs.items():
        t0 = time.time()
        model = config.build().fit(train["text"].tolist(), train["label"].tolist())
        train_s = time.time() - t0
        top, rand, secs = measure(model, test["text"].tolist(), np.random.default_rng(0))
        ratio = np.mean(top) / max(np.mean(rand), 1e-9)
        lines.append(f"| {kind} | {model.explain_method} | {np.mean(top):.3f} | {np.mean(rand):.3f} | **{ratio:.1f}x** | "
                     f"{np.mean(secs):.3f}, {np.max(secs):.3f} | {train_s:.0f} |")
        print(lines[-1], flush=True)
    write_section("Explanations: faithfulness and cost", f"""
Each contender trained on {args.train_rows:,} random SST-2 train rows (the fine-tune: 1 epoch, max 64 tokens), then
explaining its own prediction for {args.texts} SST-2 test sentences of at most 64 words. Comprehensiveness (ERASER):
the drop in the predicted label's probability when the top 20% of words by attribution are deleted, against deleting
as many random words (mean of {RANDOM_DRAWS} draws). Target: ratio >= 2x; at most 1 s per explanation.

{chr(10).join(lines)}
""")


if __name__ == "__main__":
    main()
