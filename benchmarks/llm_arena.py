"""Is a prompted LLM enough? The LLM contender on the shared datasets' test rows, beside the speed of generating an
answer and matching its text (the usual way to classify with an LLM).

For each dataset: zero-shot, few-shot (4 examples per label from train.csv, picked by the contender) and few-shot
with contextual calibration kept only when it raised macro-F1 on 100 validation rows (taken from train.csv, not the
examples); accuracy with its 95% CI and texts/s on at most --rows test rows. Then label scoring against
generate-and-match on the same model, prompt and texts: greedy generation of up to 8 tokens with the whole prompt,
the answer matched to a label by its start (what a hand-written LLM classifier does), seconds per text.

    python benchmarks/llm_arena.py [--rows 200] [--llm default] [--datasets sst2,trec,sms_spam,mr_polarity]
    python benchmarks/llm_arena.py --lora-rows 400      # zero-shot against LoRA-tuned on 400 training rows
    python benchmarks/llm_arena.py --llm "http://127.0.0.1:8080/v1|qwen" --variants zero   # a server, fewer variants
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
from core.chat.endpoints import is_endpoint  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.contenders import llm_scoring as scoring  # noqa: E402
from core.contenders import registry  # noqa: E402
from core.contenders.llm import LLMClassifier  # noqa: E402
from core.evaluate import evaluate  # noqa: E402
from core.recommend import recommend  # noqa: E402
from core.runs import llm_name  # noqa: E402

VAL_ROWS, SPEED_TEXTS = 100, 40


def split(name: str, rows: int):
    train = pd.read_csv(SHARED / name / "train.csv").dropna()
    test = pd.read_csv(SHARED / name / "test.csv").dropna().sample(frac=1, random_state=0).head(rows)
    val = train.sample(n=VAL_ROWS, random_state=1)
    return train.drop(val.index), val, test


def variant(llm: str, shots: int, calibrate: bool, train, val, test) -> dict:
    model = LLMClassifier(llm=llm, shots=shots, calibrate=calibrate, seed=0)
    model.fit(train["text"].astype(str).tolist(), train["label"].astype(str).tolist(),
              eval_set=(val["text"].astype(str).tolist(), val["label"].astype(str).tolist()))
    return scored(model, test) | {"calibrated": model.calibrated_}


def scored(model, test) -> dict:
    """Accuracy (CI), macro-F1, predictions, texts/s and tokens per text of a fitted model on the test rows."""
    before, t0 = model.usage(), time.perf_counter()
    proba = model.predict_proba(test["text"].astype(str).tolist())
    seconds, after = time.perf_counter() - t0, model.usage()
    ev = evaluate(test["label"].astype(str).tolist(), proba, list(model.classes_))
    tokens = (after["tokens_in"] - before["tokens_in"]) / len(test) if after else None
    return {"accuracy": ev.accuracy, "macro_f1": ev.macro_f1, "ci": ev.ci["accuracy"], "n": ev.n,
            "texts_per_s": len(test) / seconds, "model": model, "tokens": tokens,
            "pred": [model.classes_[i] for i in proba.argmax(1)]}


def verdict(name: str, runs: dict[str, dict], test) -> str:
    """The app's recommendation (core.recommend) among the baseline and the LLM variants on these rows."""
    rows = [{"run": k, "name": k, "accuracy": r["accuracy"], "macro_f1": r["macro_f1"], "n": r["n"], "seconds": 0.0,
             "texts_per_s": r["texts_per_s"]} for k, r in runs.items()]
    return recommend(rows, {k: r["pred"] for k, r in runs.items()}, test["label"].astype(str).tolist())["sentence"]


def lora(llm: str, rows: int, train, val, test) -> dict:
    from core.contenders.llm_lora import LoRALLMClassifier

    sample = train.sample(n=min(rows, len(train)), random_state=0)
    t0 = time.time()
    model = LoRALLMClassifier(llm=llm, epochs=1, batch_size=8, lr=2e-4, max_length=64, seed=0)
    model.fit(sample["text"].astype(str).tolist(), sample["label"].astype(str).tolist(),
              eval_set=(val["text"].astype(str).tolist(), val["label"].astype(str).tolist()))
    train_s = time.time() - t0
    proba = model.predict_proba(test["text"].astype(str).tolist())
    ev = evaluate(test["label"].astype(str).tolist(), proba, list(model.classes_))
    return {"accuracy": ev.accuracy, "ci": ev.ci["accuracy"], "train_s": train_s, "calibrated": model.calibrated_}


def lora_section(args) -> None:
    lines = ["| dataset | zero-shot | LoRA-tuned (1 epoch) | gain (points) | LoRA training s |", "|---|---|---|---|---|"]
    gains = []
    for name in args.datasets.split(","):
        train, val, test = split(name, args.rows)
        zero = variant(args.llm, 0, False, train, val, test)
        tuned = lora(args.llm, args.lora_rows, train, val, test)
        gains.append(100 * (tuned["accuracy"] - zero["accuracy"]))
        cell = lambda r: f"{r['accuracy']:.3f} ({r['ci'][0]:.2f}-{r['ci'][1]:.2f})"  # noqa: E731
        lines.append(f"| {name} | {cell(zero)} | {cell(tuned)}{' (calibrated)' if tuned['calibrated'] else ''} | "
                     f"{gains[-1]:+.1f} | {tuned['train_s']:.0f} |")
        print(lines[-1], flush=True)
    write_section(f"LoRA-tuned LLM: {llm_name(args.llm)}", f"""
Zero-shot against LoRA-tuned ({llm_name(args.llm)}, rank 8 on the attention and MLP projections, 1 epoch over
{args.lora_rows} random training rows, batch 8, lr 2e-4, texts cut to 64 tokens), the same prompt and label scoring,
on at most {args.rows} test rows per dataset. Target: at least 20 points above zero-shot in mean accuracy.
Mean gain: **{np.mean(gains):+.1f} points**.

{chr(10).join(lines)}
""")


def generate_and_match(model: LLMClassifier, texts: list[str]) -> tuple[float, float]:
    """(seconds per text, share of answers that start with a label) for greedy generation with the whole prompt."""
    import torch

    tok, net = model.tokenizer_, model.model_
    prefix, rest, _ = scoring.chat_parts(tok, scoring.system_turn(model.classes_, model.task), model.examples_)
    matched, t0 = 0, time.perf_counter()
    for text in texts:
        ids = torch.tensor([scoring.encode(tok, prefix + rest(text))])
        with torch.inference_mode():
            out = net.generate(ids, max_new_tokens=8, do_sample=False, pad_token_id=tok.eos_token_id)
        answer = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip().lower()
        matched += any(answer.startswith(c.lower()) for c in model.classes_)
    return (time.perf_counter() - t0) / len(texts), matched / len(texts)


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--rows", type=int, default=200)
    a.add_argument("--llm", default="default")
    a.add_argument("--datasets", default="sst2,trec,sms_spam,mr_polarity")
    a.add_argument("--variants", default="zero,few,cal", help="which LLM variants to run besides 'cal' (always)")
    a.add_argument("--lora-rows", type=int, default=0, help="run zero-shot against LoRA-tuned on this many rows")
    args = a.parse_args()
    if args.lora_rows:
        return lora_section(args)
    lines = ["| dataset | TF-IDF baseline | zero-shot | few-shot (4 per label) | few-shot, calibration decided on "
             "validation | s per 1,000 texts (few-shot) | tokens per text (few-shot) |", "|---|---|---|---|---|---|---|"]
    speed = ["| dataset | label scoring s/text | generate-and-match s/text | **speed-up** | answers matching a label |",
             "|---|---|---|---|---|"]
    verdicts = []
    for name in args.datasets.split(","):
        train, val, test = split(name, args.rows)
        baseline = registry.get("baseline").build(TrainConfig())
        baseline.fit(train["text"].astype(str).tolist(), train["label"].astype(str).tolist())
        base = scored(baseline, test)
        wanted = args.variants.split(",")
        zero = variant(args.llm, 0, False, train, val, test) if "zero" in wanted else None
        few = variant(args.llm, 4, False, train, val, test) if "few" in wanted else None
        cal = variant(args.llm, 4, True, train, val, test)
        shown = few or cal
        cell = lambda r: f"{r['accuracy']:.3f} ({r['ci'][0]:.2f}-{r['ci'][1]:.2f})" if r else "-"  # noqa: E731
        lines.append(f"| {name} | {cell(base)} | {cell(zero)} | {cell(few)} | {cell(cal)}"
                     f"{' (kept)' if cal['calibrated'] else ''} | {1000 / shown['texts_per_s']:,.0f} | "
                     f"{shown['tokens']:.0f} |")
        print(lines[-1], flush=True)
        runs = {"TF-IDF baseline": base, f"few-shot {llm_name(args.llm)}": cal if cal["calibrated"] or not few else few}
        if zero:
            runs[f"zero-shot {llm_name(args.llm)}"] = zero
        verdicts.append(f"- {name}: {verdict(name, runs, test)}")
        print(verdicts[-1], flush=True)
        if is_endpoint(args.llm):  # a server's speed is its own business: generate-and-match is timed locally
            continue
        texts = test["text"].astype(str).tolist()[:SPEED_TEXTS]
        t0 = time.perf_counter()
        shown["model"].predict_proba(texts)
        scored_s = (time.perf_counter() - t0) / len(texts)
        generated, matched = generate_and_match(shown["model"], texts)
        speed.append(f"| {name} | {scored_s:.3f} | {generated:.3f} | **{generated / scored_s:.1f}x** | {matched:.0%} |")
        print(speed[-1], flush=True)
    where = " (the server on the same 2 cores)" if is_endpoint(args.llm) else ""
    timing = "" if is_endpoint(args.llm) else f"""
Label scoring (the prefix's cache reused, each label's tokens scored) against greedy generation of up to 8 tokens
with the whole prompt and matching the answer's start to a label, few-shot prompt, {SPEED_TEXTS} test texts:

{chr(10).join(speed)}
"""
    write_section(f"Prompted LLM: {llm_name(args.llm)}", f"""
The LLM contender ({llm_name(args.llm)}) on at most {args.rows} random test rows per dataset, beside the TF-IDF
baseline trained on the same train.csv and scored on the same rows; accuracy (95% CI). Few-shot: 4 examples per
label picked from train.csv by the contender (nearest the centres of k-means clusters of each label's texts);
calibration: contextual calibration (Zhao et al. 2021) decided on {VAL_ROWS} validation rows from train.csv and kept
only where it raised macro-F1 by more than luck (lower in at most 10% of 200 bootstrap resamples). Seconds per
1,000 texts: wall time on this machine{where}.
Target: label scoring >= 3x faster than generate-and-match.

{chr(10).join(lines)}

What the app would recommend on these rows (core.recommend: the cheapest run not significantly below the best):

{chr(10).join(verdicts)}
{timing}""")


if __name__ == "__main__":
    main()
