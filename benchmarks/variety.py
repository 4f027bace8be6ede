"""Uncertainty with variety: does picking each batch of 100 for uncertainty *and* variety (core.trust.active, k-means
over the 400 most uncertain) reach with at most 700 labels what 1,000 random labels reach? And do the first 50 labels
picked one per cluster (first_to_label) train a better model than 50 random ones?

Pools of 4,000 from each shared train file, 100 random labels to start, +100 a round; 3 seeds; the TF-IDF baseline
and the embeddings contender's recipe as learners (and rankers); accuracy on test.csv.

    python benchmarks/variety.py [--pool 4000] [--learners tfidf embeddings]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.active_learning import STEPS, curve, encode, learner  # noqa: E402
from benchmarks.results import shared_split, write_section  # noqa: E402
from core.trust.active import first_to_label, text_vectors  # noqa: E402

DATASETS = ("trec", "sms_spam", "mr_polarity", "sst2")


def first_fifty(pool, test, kind, vectors, variety, seed: int) -> tuple[float, float]:
    """Accuracy after 50 labels: one per cluster, then 50 at random."""
    rng = np.random.default_rng(seed)
    picks = {"cluster": [r["row"] for r in first_to_label(pool["text"].tolist(), 50, variety, seed)],
             "random": list(rng.choice(len(pool), 50, replace=False))}
    out = []
    for rows in picks.values():
        part = pool.iloc[rows]
        if part["label"].nunique() < 2:  # one class only: a model cannot be trained, so it scores the majority
            out.append(float((test["label"] == part["label"].iloc[0]).mean()))
            continue
        model = learner(kind, vectors, seed).fit(part["text"].tolist(), part["label"])
        out.append(float((np.array(model.predict(test["text"].tolist())) == test["label"].to_numpy()).mean()))
    return out[0], out[1]


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--pool", type=int, default=4000)
    a.add_argument("--learners", nargs="+", default=["tfidf", "embeddings"], choices=["tfidf", "embeddings"])
    args = a.parse_args()
    lines = ["| dataset | learner | random @1,000 | uncertainty @700 | variety @700 | labels variety needs | "
             "first 50: by cluster / random |", "|---|---|---|---|---|---|---|"]
    met, firsts = {k: 0 for k in args.learners}, {k: 0 for k in args.learners}
    for name in DATASETS:
        if (split := shared_split(name)) is None:
            continue
        pool, test = split
        pool = pool.sample(n=min(args.pool, len(pool)), random_state=0).reset_index(drop=True)
        variety = text_vectors(pool["text"].tolist())
        for kind in args.learners:
            vectors = encode(pool, test) if kind == "embeddings" else None
            runs = {s: np.mean([curve(pool, test, s, seed, kind, vectors, variety=variety) for seed in range(3)], axis=0)
                    for s in ("random", "uncertainty", "variety")}
            target = runs["random"][-1]
            reach = next((n for n, acc in zip(STEPS, runs["variety"], strict=False) if acc >= target - 1e-9), None)
            met[kind] += reach is not None and reach <= 700
            first = np.mean([first_fifty(pool, test, kind, vectors, variety, seed) for seed in range(3)], axis=0)
            firsts[kind] += bool(first[0] > first[1])
            lines.append(f"| {name} | {kind} | {target:.3f} | {runs['uncertainty'][6]:.3f} | {runs['variety'][6]:.3f} "
                         f"| **{reach or 'not within 1,000'}** | {first[0]:.3f} / {first[1]:.3f} |")
            print(lines[-1], flush=True)
    verdict = "; ".join(f"{k}: variety reached random's 1,000-label accuracy within 700 labels on **{met[k]}** of 4, "
                        f"first 50 by cluster beat random on **{firsts[k]}** of 4" for k in args.learners)
    title = "Active learning: uncertainty with variety" + ("" if "tfidf" in args.learners else ", embeddings as learner")
    write_section(title, f"""
Pools of {args.pool:,} texts from each train file; 100 random labels to start, +100 a round up to 1,000; 3 seeds;
accuracy on test.csv. Variety (core.trust.active): the 400 most uncertain texts of the pool clustered into 100 by
k-means over character-n-gram TF-IDF vectors reduced to 100 dimensions, the most uncertain of each cluster taken.
First 50: one text per k-means cluster (nearest its centre) against 50 random texts.

{chr(10).join(lines)}

{verdict} (targets: at most 700 labels on every dataset; first 50 by cluster better on at least 3 of 4).
""")


if __name__ == "__main__":
    main()
