"""Inference speed and serving under load, for a fine-tuned MiniLM on real SST-2 texts.

1. Eager PyTorch vs ONNX fp32 vs ONNX int8 of the same run: texts/s at batch 1 and 32,
   p50/p99 single-text latency, accuracy. Targets: int8 >= 3x eager texts/s at batch 32,
   p50 single-text latency <= 10 ms on 2 cores, accuracy within 0.5 points.
2. A real `python -m core serve` on 127.0.0.1 with 16 concurrent clients x 200 requests
   of one text each (bounded; stops by itself): errors, p50/p99, throughput as a share of
   the same model's offline batch throughput (target >= 0.8).

    python benchmarks/serving.py [--train-rows 2000] [--requests 200]
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.config import TrainConfig  # noqa: E402
from core.deploy.onnx import _classifier, export_onnx  # noqa: E402
from core.deploy.serve import SERVE_MAX_TOKENS  # noqa: E402
from core.runs import RunFolder  # noqa: E402
from core.train import run_training  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 5  # batch-32 rounds; this VM's int8 speed is bimodal (~560 or ~750 texts/s from one minute to the next)


def batch32(model, texts: list[str]) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    proba = model.predict_proba(texts, batch_size=32)
    return len(texts) / (time.perf_counter() - t0), proba


def speed(model, texts: list[str], labels: list[str], rounds: list[float]) -> dict:
    """`rounds`: this model's batch-32 texts/s from the interleaved rounds (the table gives the best, and the median
    of the per-round ratios to eager: interleaving keeps the runtimes on equal terms while the VM drifts)."""
    _, proba = batch32(model, texts)
    lat = []
    for t in texts[:200]:
        s = time.perf_counter()
        model.predict_proba([t])
        lat.append(time.perf_counter() - s)
    acc = float((np.array(model.classes_)[proba.argmax(1)] == np.array(labels)).mean())
    return {"b32": max(rounds), "b1": 1 / np.mean(lat), "p50": np.percentile(lat, 50) * 1000,
            "p99": np.percentile(lat, 99) * 1000, "acc": acc}


def offline_rates(model, texts: list[str]) -> dict:
    """The load test's references, measured right beside each load round (the VM drifts): texts/s on length-sorted
    batches of 32, and on random 16-text batches cut as the server cuts them (what 16 clients give a server)."""
    b32 = batch32(model, texts)[0]
    model.max_tokens = SERVE_MAX_TOKENS
    rng, t0 = np.random.default_rng(0), time.perf_counter()
    for _ in range(30):
        model.predict_proba([texts[j] for j in rng.choice(len(texts), 16, replace=False)], batch_size=32)
    model.max_tokens = None
    return {"b32": b32, "r16": 30 * 16 / (time.perf_counter() - t0)}


def wrk_load(url: str, texts: list[str], clients: int, seconds: int) -> dict:
    """Debian's wrk (a C load generator, so the clients cost the 2 cores little), one text per request."""
    import json
    import re
    import shutil

    def lua(text: str) -> str:  # a Lua long string whose closing bracket cannot occur in the text
        level = next(n for n in range(1, 20) if "]" + "=" * n + "]" not in text)
        return f"[{'=' * level}[{text}]{'=' * level}]"
    bodies = ",\n".join(lua(json.dumps({"texts": [t]})) for t in texts[:200])
    script = Path(tempfile.mkdtemp()) / "post.lua"
    script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f"local bodies = {{{bodies}}}\nlocal i = 0\n"
                      'request = function() i = i + 1; return wrk.format(nil, "/v1/classify", nil, bodies[(i % #bodies) + 1]) end\n')
    out = subprocess.run([shutil.which("wrk"), "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script),
                          url], capture_output=True, text=True, timeout=seconds + 60).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests": total, "errors": errors, "throughput": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms("50"), "p99": ms("99"), "client": "wrk (C, 2 threads)"}


def load_test(run_dir: Path, texts: list[str], clients: int, per_client: int, model=None) -> dict:
    """A real server under `clients` concurrent clients. With wrk: 3 rounds of 10 s, each between two measurements
    of `model`'s offline references (offline_rates) so that a round's ratio is not a ratio across VM speed drift."""
    import shutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "core", "serve", str(run_dir), "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                requests.get(url + "/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.25)
        wrk = shutil.which("wrk")
        if wrk:
            wrk_load(url, texts, clients, seconds=2)  # warm up: first batches pay for allocations
        runs = []
        for _ in range(3 if wrk else 1):
            before = offline_rates(model, texts) if model else None
            run = wrk_load(url, texts, clients, seconds=10) if wrk else python_clients(url, texts, clients, per_client)
            if model:
                after = offline_rates(model, texts)
                run.update({k: run["throughput"] / ((before[k] + after[k]) / 2) for k in ("b32", "r16")})
            runs.append(run)
        best = max(runs, key=lambda r: r.get("r16", r["throughput"]))
        return {**best, "requests": sum(r["requests"] for r in runs), "errors": sum(r["errors"] for r in runs),
                "rounds": runs, "client": "wrk (C, 2 threads); 3 rounds x 10 s" if wrk else best["client"]}
    finally:
        server.terminate()
        server.wait(timeout=30)


def python_clients(url: str, texts: list[str], clients: int, per_client: int) -> dict:
    """Without wrk: Python threads, `per_client` requests each (they cost the 2 cores more than wrk does)."""
    def client(c: int) -> list[tuple[float, bool]]:
        session, out = requests.Session(), []
        for i in range(per_client):
            t = texts[(c * per_client + i) % len(texts)]
            s = time.perf_counter()
            r = session.post(url + "/v1/classify", json={"texts": [t]}, timeout=60)
            out.append((time.perf_counter() - s, r.status_code == 200 and len(r.json()["predictions"]) == 1))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [x for chunk in pool.map(client, range(clients)) for x in chunk]
    wall = time.perf_counter() - t0
    lat = [r[0] for r in results]
    return {"requests": len(results), "errors": sum(not r[1] for r in results), "throughput": len(results) / wall,
            "p50": np.percentile(lat, 50) * 1000, "p99": np.percentile(lat, 99) * 1000, "client": "Python threads"}


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--train-rows", type=int, default=2000)
    a.add_argument("--requests", type=int, default=200, help="requests per client (16 clients)")
    args = a.parse_args()
    test = pd.read_csv(SHARED / "sst2" / "test.csv")
    with tempfile.TemporaryDirectory() as tmp:
        train = pd.read_csv(SHARED / "sst2" / "train.csv").sample(n=args.train_rows, random_state=0)
        train.to_csv(Path(tmp) / "train.csv", index=False)
        run = RunFolder(Path(tmp) / "run")
        run_training(TrainConfig(model="finetune", epochs=1, batch_size=32, lr=8e-5, max_length=64, test_fraction=0.2),
                     Path(tmp) / "train.csv", run.path)
        report = export_onnx(run.path, int8=True, tolerance=1.0)  # keep int8 whatever it costs, to time it
        drop = report["eager_accuracy"] - report["int8"]["accuracy"]
        texts, labels = test["text"].tolist(), test["label"].tolist()
        models = {"eager PyTorch": run.load_model(), "ONNX fp32": _classifier(run, run.path / "onnx" / "model.onnx"),
                  "ONNX int8": _classifier(run, run.path / "onnx" / "model.int8.onnx")}
        for model in models.values():  # the first batches of a runtime pay for allocations: not part of a round
            model.predict_proba(texts[:128], batch_size=32)
        rounds = {name: [] for name in models}
        for _ in range(ROUNDS):  # interleaved: eager, fp32, int8, eager, ...
            for name, model in models.items():
                rounds[name].append(batch32(model, texts)[0])
        rows = {name: speed(model, texts, labels, rounds[name]) for name, model in models.items()}
        for name in models:  # per round: the runtimes of one round ran within seconds of each other
            rows[name]["ratios"] = [x / e for x, e in zip(rounds[name], rounds["eager PyTorch"], strict=False)]
        if drop >= 0.005:  # what the default export would do: serve fp32
            (run.path / "onnx" / "model.int8.onnx").unlink()
            report["int8"]["refused"] = f"int8 lost {drop:.1%} on the run's {report['rows']} test rows"
        load = load_test(run.path, texts, 16, args.requests, model=models["ONNX fp32" if drop >= 0.005 else "ONNX int8"])
        ceiling_run = Path(tmp) / "baseline"  # a model that costs ~nothing: what HTTP and JSON alone allow
        run_training(TrainConfig(model="baseline", test_fraction=0.2), Path(tmp) / "train.csv", ceiling_run)
        ceiling = load_test(ceiling_run, texts, 16, args.requests)
    write(rows, report, load, ceiling, args)


# What limits int8 here, from onnxruntime's profiler and dev scripts (2026-11-26, same run and texts; not rerun by
# this script): the int8 matmuls are ~59% of int8's kernel time and already ~3.5x faster than fp32's matmuls; the
# other ~40% (SkipLayerNormalization, Gelu, transposes, softmax, attention's activation matmuls) stays fp32.
INT8_NOTES = """Where int8's time goes (onnxruntime's profiler, batch 32): the int8 weight matmuls take ~59% of its kernel
time and run ~3.5x faster than fp32's; the ~40% left (layer norms, Gelu, transposes, softmax, attention's
activation x activation matmuls) stays fp32, so int8 lands at 2.2-2.9x eager (the median rounds of 5 runs). Tried, same run
and texts, and dropped (no gain beyond the VM's noise, or slower): onnxruntime's transformer optimizer before
quantizing (all fusions, attention only, attention + layer norm, MultiHeadAttention with the projections left
to int8: 0.75-1.1x plain int8, accuracy equal);
weight-only MatMulNBits (8 bit: 0.5-0.6x, 4 bit: 0.45x and -1.5 points); static int8 calibrated on 256 train
texts (QOperator 0.8x and -1.5 points, QDQ 0.4x); thread spinning off and dynamic block scheduling (equal or
slower); per-tensor int8 over all matmuls (lost 0.9-3.5 points)."""


def median(load: dict, key: str) -> float:
    return float(np.median([r[key] for r in load["rounds"]]))


def rounds(load: dict) -> str:
    return "; ".join(f"{r['throughput']:.0f} texts/s = {r['r16']:.2f}x random-16, {r['b32']:.2f}x sorted-32"
                     for r in load["rounds"])


def write(rows: dict, report: dict, load: dict, ceiling: dict, args) -> None:
    eager = rows["eager PyTorch"]
    table = ["| runtime | texts/s batch 32 (best) | vs eager (median round) | best vs best | texts/s batch 1 | p50 ms | "
             "p99 ms | accuracy |", "|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        table.append(f"| {name} | {r['b32']:.0f} | **{np.median(r['ratios']):.2f}x** | {r['b32'] / eager['b32']:.2f}x | "
                     f"{r['b1']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['acc']:.3f} |")
    note = report["int8"].get("refused", "")
    write_section("Inference speed and serving under load", f"""
A fine-tuned MiniLM (1 epoch on {args.train_rows:,} SST-2 train rows, max 64 tokens); the 872 SST-2 test sentences.
Same run, same process, each runtime warmed up first; batch 32 in {ROUNDS} interleaved rounds (eager, fp32, int8, eager,
...: this VM's speed drifts by up to a third between minutes, so a ratio within one round compares like with like;
the headline is the median round), int8 vs eager per round
{", ".join(f"{x:.2f}x" for x in rows["ONNX int8"]["ratios"])}; batch 1 latency over 200 single-text calls.
The export's own check on the run's {report["rows"]} test rows: eager {report["eager_accuracy"]:.3f}, int8
{report["int8"]["accuracy"]:.3f} (per-channel weights, weight matmuls only).

{chr(10).join(table)}
{f"{chr(10)}With the default tolerance the export would refuse int8 and serve fp32 ({note}), so the load test "
   f"below ran on fp32.{chr(10)}" if note else ""}
Targets: int8 >= 3x eager at batch 32 (median round), p50 single-text <= 10 ms, accuracy within 0.005 of eager.

{INT8_NOTES}

Load test: `python -m core serve` on 127.0.0.1 (it picks the fastest verified export), 16 concurrent clients
({load['client']}; without wrk, {args.requests} requests each) of one text per request: **{load['errors']} errors** in
{load['requests']:,} requests. Each round sits between two measurements of the same model's offline throughput in
this process (the VM drifts), and its throughput is divided by their mean. Median round: **{median(load, 'r16'):.2f}x**
the offline throughput on random 16-text batches, the batches 16 clients give a server (cut into length-sorted pieces
of at most {SERVE_MAX_TOKENS} padded tokens, as the server does; target >= 0.8x), and {median(load, 'b32'):.2f}x the
offline throughput on length-sorted batches of 32 (the best case, which one-text requests cannot give a server).
Per round: {rounds(load)}. Best round: {load['throughput']:.0f} texts/s, p50 {load['p50']:.1f} ms, p99 {load['p99']:.1f} ms.
The same server and clients with the TF-IDF baseline, whose model costs little, answer
{ceiling['throughput']:.0f} requests/s ({ceiling['errors']} errors): what HTTP, JSON and the load generator
leave on these 2 cores, of which the fine-tune's load test pays a share on every request.
""")


if __name__ == "__main__":
    main()
