"""Active learning: does labelling the texts the model is least sure of beat labelling at random?

On each shared dataset: start from 100 random labelled rows of the train file, add 100 at a
time up to 1,000, chosen by uncertainty (smallest margin between the top two classes of the
TF-IDF baseline trained so far; core.trust.active) or at random; 3 seeds; accuracy on test.csv.
Target: on at least two datasets, uncertainty sampling reaches the accuracy random sampling
has at 1,000 labels with at most 750 labels.

    python benchmarks/active_learning.py [--pool 5000]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.contenders.baseline import TfidfClassifier  # noqa: E402
from core.trust.active import rank_for_labelling  # noqa: E402

STEPS = list(range(100, 1001, 100))
CURVES = Path(__file__).resolve().parents[1] / "assets" / "active_learning_curves.json"  # the Label page's figure


class CachedEmbeddings:
    """The embeddings contender's recipe (frozen MiniLM + logistic regression) over vectors computed once per
    text, so ten rounds of three seeds cost one encoding pass (core.contenders.embeddings does the same per fit)."""

    def __init__(self, vectors: dict[str, np.ndarray], seed: int = 0):
        self.vectors, self.seed = vectors, seed

    def fit(self, texts, labels):
        from sklearn.linear_model import LogisticRegression

        self.lr_ = LogisticRegression(C=10.0, max_iter=2000, random_state=self.seed)
        self.lr_.fit(np.stack([self.vectors[t] for t in texts]), list(labels))
        self.classes_ = list(self.lr_.classes_)
        return self

    def predict_proba(self, texts):
        return self.lr_.predict_proba(np.stack([self.vectors[t] for t in texts]))

    def predict(self, texts):
        return [self.classes_[i] for i in self.predict_proba(texts).argmax(1)]


def learner(kind: str, vectors, seed: int):
    return TfidfClassifier(seed=seed) if kind == "tfidf" else CachedEmbeddings(vectors, seed)


def curve(pool: pd.DataFrame, test: pd.DataFrame, strategy: str, seed: int, kind: str = "tfidf",
          vectors=None, steps: list[int] = STEPS, variety=None) -> list[float]:
    """Accuracy on test after each step of labels chosen by `strategy`: random, uncertainty, or variety
    (uncertainty among clusters of `variety`, the pool's text vectors)."""
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(len(pool), steps[0], replace=False))
    accs = []
    for size, after in zip(steps, steps[1:] + [None], strict=True):
        model = learner(kind, vectors, seed).fit(pool["text"].iloc[labelled].tolist(), pool["label"].iloc[labelled])
        accs.append(float((np.array(model.predict(test["text"].tolist())) == test["label"].to_numpy()).mean()))
        if after is None:
            break
        rest, more = np.setdiff1d(np.arange(len(pool)), labelled), after - size
        if strategy == "random":
            labelled += list(rng.choice(rest, more, replace=False))
        else:
            ranked = rank_for_labelling({kind: model}, pool["text"].iloc[rest].tolist(), more, seed=seed,
                                        vectors=variety[rest] if strategy == "variety" else None)
            labelled += [int(rest[r["row"]]) for r in ranked]
    return accs


def encode(pool: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    from core.contenders.embeddings import SentenceEncoder

    texts = list(dict.fromkeys(pool["text"].tolist() + test["text"].tolist()))
    return dict(zip(texts, SentenceEncoder("default", 256, 64).encode(texts), strict=False))


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--pool", type=int, default=5000, help="unlabelled pool size per dataset")
    a.add_argument("--learner", choices=["tfidf", "embeddings"], default="tfidf",
                   help="learner and ranker: the TF-IDF baseline, or the embeddings contender's recipe")
    args = a.parse_args()
    lines = ["| dataset | random @1,000 | uncertainty @1,000 | labels uncertainty needs to match random @1,000 | "
             "curve (uncertainty / random, every 100 labels) |", "|---|---|---|---|---|"]
    wins, curves = 0, {}
    for name in ("trec", "sms_spam", "mr_polarity", "sst2"):
        if not (SHARED / name / "train.csv").is_file():
            continue
        pool = pd.read_csv(SHARED / name / "train.csv").dropna().drop_duplicates("text")
        pool = pool.sample(n=min(args.pool, len(pool)), random_state=0).reset_index(drop=True)
        test = pd.read_csv(SHARED / name / "test.csv").dropna()
        vectors = encode(pool, test) if args.learner == "embeddings" else None
        runs = {s: np.mean([curve(pool, test, s, seed, args.learner, vectors) for seed in range(3)], axis=0)
                for s in ("uncertainty", "random")}
        target = runs["random"][-1]
        reach = next((n for n, acc in zip(STEPS, runs["uncertainty"], strict=False) if acc >= target), None)
        wins += reach is not None and reach <= 750
        pairs = " ".join(f"{u:.3f}/{r:.3f}" for u, r in zip(runs["uncertainty"], runs["random"], strict=False))
        lines.append(f"| {name} | {target:.3f} | {runs['uncertainty'][-1]:.3f} | **{reach or 'not within 1,000'}** | {pairs} |")
        print(lines[-1], flush=True)
        curves[name] = {k: [round(float(x), 4) for x in v] for k, v in runs.items()}
    who = {"tfidf": "TF-IDF baseline", "embeddings": "embeddings contender (frozen MiniLM + logistic regression)"}
    if args.learner == "tfidf":  # the Label page's figure
        CURVES.write_text(json.dumps({"measured": time.strftime("%Y-%m-%d"), "labels": STEPS, "curves": curves,
                                      "method": f"TF-IDF baseline as learner and ranker (margin sampling), "
                                                f"{args.pool:,}-row pools, mean of 3 seeds"}, indent=1))
    title = "Active learning: uncertainty vs random" + ("" if args.learner == "tfidf" else ", embeddings as ranker")
    write_section(title, f"""
The {who[args.learner]} as both learner and ranker (margin sampling, core.trust.active); {args.pool:,}-row pools from each
train file; 100 random labelled rows to start, +100 a round up to 1,000; mean of 3 seeds; accuracy on test.csv.

{chr(10).join(lines)}

Uncertainty sampling matched random's 1,000-label accuracy with at most 750 labels on **{wins}** dataset(s)
(target: at least 2).
""")


if __name__ == "__main__":
    main()
