"""Inference speed and serving under load, for a fine-tuned MiniLM on real SST-2 texts.

1. Eager PyTorch vs ONNX fp32/int8 (onnxruntime) vs OpenVINO fp32/int8 of the same run: texts/s
   at batch 32 on SST-2's sentences and on TREC's short questions, p50/p99 single-text latency,
   accuracy. Targets: OpenVINO int8 faster than onnxruntime int8 in the same rounds and >= 4x eager
   at batch 32, p50 single text <= 5 ms on 2 cores, accuracy within 0.5 points.
2. A real `python -m core serve` on 127.0.0.1 with 16 concurrent clients x 200 requests
   of one text each (bounded; stops by itself): errors, p50/p99, throughput as a share of
   the same model's offline batch throughput (target >= 0.8).

    python benchmarks/serving.py [--train-rows 2000] [--requests 200]
"""
from __future__ import annotations

import argparse
import shutil
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
from core.deploy.onnx import OnnxClassifier, export_onnx  # noqa: E402
from core.deploy.openvino import OpenVinoClassifier, export_openvino  # noqa: E402
from core.deploy.runtimes import load_for_inference, runtime_name  # noqa: E402
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
    return {"b32": max(rounds), "rounds": rounds, "b1": 1 / np.mean(lat), "p50": np.percentile(lat, 50) * 1000,
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


RUNTIMES = {"ONNX fp32": (OnnxClassifier, "onnx/model.onnx"), "ONNX int8": (OnnxClassifier, "onnx/model.int8.onnx"),
            "OpenVINO fp32": (OpenVinoClassifier, "openvino/model.xml"),
            "OpenVINO int8": (OpenVinoClassifier, "openvino/model.int8.xml")}


def interleaved(models: dict, texts: list[str]) -> dict[str, list[float]]:
    """Batch-32 texts/s of each model in ROUNDS rounds, the models one after another within a round."""
    rounds = {name: [] for name in models}
    for _ in range(ROUNDS):
        for name, model in models.items():
            rounds[name].append(batch32(model, texts)[0])
    return rounds


def ratios(rounds: dict, name: str, reference: str) -> list[float]:
    return [x / r for x, r in zip(rounds[name], rounds[reference], strict=True)]


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--train-rows", type=int, default=2000)
    a.add_argument("--requests", type=int, default=200, help="requests per client (16 clients)")
    args = a.parse_args()
    test = pd.read_csv(SHARED / "sst2" / "test.csv")
    short = pd.read_csv(SHARED / "trec" / "test.csv")["text"].tolist()  # 500 questions, ~11 tokens: short texts
    with tempfile.TemporaryDirectory() as tmp:
        train = pd.read_csv(SHARED / "sst2" / "train.csv").sample(n=args.train_rows, random_state=0)
        train.to_csv(Path(tmp) / "train.csv", index=False)
        run = RunFolder(Path(tmp) / "run")
        run_training(TrainConfig(model="finetune", epochs=1, batch_size=32, lr=8e-5, max_length=64, test_fraction=0.2),
                     Path(tmp) / "train.csv", run.path)
        reports = {"ONNX": export_onnx(run.path, int8=True, tolerance=1.0),  # keep int8 whatever it costs, to time it
                   "OpenVINO": export_openvino(run.path, int8=True, tolerance=1.0)}
        texts, labels = test["text"].tolist(), test["label"].tolist()
        models = {"eager PyTorch": run.load_model(),
                  **{name: kind.from_run(run, run.path / file) for name, (kind, file) in RUNTIMES.items()}}
        for model in models.values():  # the first batches of a runtime pay for allocations: not part of a round
            model.predict_proba(texts[:128] + short[:128], batch_size=32)
        rounds, short_rounds = interleaved(models, texts), interleaved(models, short)
        rows = {name: speed(model, texts, labels, rounds[name]) for name, model in models.items()}
        for name in models:  # per round: the runtimes of one round ran within seconds of each other
            rows[name].update(ratios=ratios(rounds, name, "eager PyTorch"),
                              short=ratios(short_rounds, name, "eager PyTorch"),
                              vs_ort=ratios(rounds, name, "ONNX int8"), short_vs_ort=ratios(short_rounds, name, "ONNX int8"))
        for kind, report in reports.items():  # what the default export would do: refuse int8 that lost 0.5 points
            drop = report["eager_accuracy"] - report["int8"]["accuracy"]
            if drop >= 0.005:
                (run.path / RUNTIMES[f"{kind} int8"][1]).unlink()
                report["int8"]["refused"] = f"int8 lost {drop:.1%} on the run's {report['rows']} test rows"
        load = load_test(run.path, texts, 16, args.requests, model=load_for_inference(run.path))
        load["runtime"] = runtime_name(run.path)
        ort_run = Path(tmp) / "ort"  # the same run without its OpenVINO files: what its server answered with before
        shutil.copytree(run.path, ort_run, ignore=shutil.ignore_patterns("openvino"))
        load_ort = load_test(ort_run, texts, 16, args.requests, model=load_for_inference(ort_run))
        load_ort["runtime"] = runtime_name(ort_run)
        ceiling_run = Path(tmp) / "baseline"  # a model that costs ~nothing: what HTTP and JSON alone allow
        run_training(TrainConfig(model="baseline", test_fraction=0.2), Path(tmp) / "train.csv", ceiling_run)
        ceiling = load_test(ceiling_run, texts, 16, args.requests)
    write(rows, reports, load, load_ort, ceiling, args)


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


# OpenVINO's levers, tried on the same run and texts on 2026-12-02 (dev scripts, 5 interleaved rounds each; not rerun
# by this script). Kept: THROUGHPUT (2 streams x 1 thread), f32 for the unquantised rest, NNCF's TRANSFORMER preset.
OPENVINO_NOTES = """OpenVINO's levers, tried on the same run and texts (median round vs eager at batch 32; kept in bold):
**THROUGHPUT hint, 2 streams x 1 thread, batches in parallel: 2.9-3.2x** against the LATENCY hint's 1 stream x 2
threads: 2.6x. **f32 for what int8 leaves in float**: the CPU's default on this AMX machine is bf16, equally fast
(3.0x), but it moved a probability by up to 0.18 (f32: 0.024). The fp32 export in bf16 ran 2.6x but moved probabilities
by 2e-3, so it runs at f32 (1.0x) to keep parity. **NNCF's TRANSFORMER model type** (SmoothQuant, layer norms and
softmax in float): without it 3.5x but accuracy fell from 0.741 to 0.633 (the export would refuse it); the PERFORMANCE
preset and SmoothQuant off: within the noise (3.2-3.4x), no better. CPU pinning off: the same. Converting the ONNX file
instead of the PyTorch model: the same graph (both give OpenVINO's fused ScaledDotProductAttention), the same speed.
**Lengths padded to a multiple of 8 tokens**: OpenVINO compiles for each new input shape, which made a single text's
p99 35-40 ms; buckets of 8 bring it to 9-14 ms at no cost at batch 32, and the model compiles a single text of each
bucket when it loads. Static shapes (one model reshaped to 32 x each bucket): 1.03x the dynamic model, within the
noise, for 7 compiled models instead of one. Where int8's time goes (OpenVINO's profiler, a
batch of 32 x 44 tokens): the int8 matmuls on AMX 46%, the attention subgraph 32%, layer norms, adds and the rest 22%."""


def write(rows: dict, reports: dict, load: dict, load_ort: dict, ceiling: dict, args) -> None:
    table = ["| runtime | texts/s batch 32 (best) | vs eager (median round) | vs ONNX int8 (median round) | short texts: "
             "vs eager | short: vs ONNX int8 | p50 ms batch 1 | p99 ms | accuracy |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        table.append(f"| {name} | {r['b32']:.0f} | **{np.median(r['ratios']):.2f}x** | {np.median(r['vs_ort']):.2f}x | "
                     f"{np.median(r['short']):.2f}x | {np.median(r['short_vs_ort']):.2f}x | {r['p50']:.1f} | "
                     f"{r['p99']:.1f} | {r['acc']:.3f} |")
    ov, ort = rows["OpenVINO int8"], rows["ONNX int8"]
    notes = "".join(f"{chr(10)}{kind}: int8 {r['int8']['refused']}, so the default export would keep fp32." for kind, r
                    in reports.items() if "refused" in r["int8"])
    checks = "; ".join(f"{kind} int8 {r['int8']['accuracy']:.3f} (fp32 {r['fp32']['accuracy']:.3f}, largest probability "
                       f"change {r['int8']['max_prob_diff']:.3f})" for kind, r in reports.items())
    write_section("Inference speed and serving under load", f"""
A fine-tuned MiniLM (1 epoch on {args.train_rows:,} SST-2 train rows, max 64 tokens); the 872 SST-2 test sentences
(median ~20 tokens) and, for short texts, TREC's 500 test questions (~11 tokens). Same run, same process, each runtime
warmed up first; batch 32 in {ROUNDS} interleaved rounds (eager, ONNX fp32, ONNX int8, OpenVINO fp32, OpenVINO int8,
eager, ...: this VM's speed drifts by up to a third between minutes, so a ratio within one round compares like with
like; the headline is the median round). OpenVINO int8 vs eager per round {", ".join(f"{x:.2f}x" for x in ov["ratios"])};
vs onnxruntime int8 {", ".join(f"{x:.2f}x" for x in ov["vs_ort"])} (onnxruntime int8 vs eager
{", ".join(f"{x:.2f}x" for x in ort["ratios"])}). Batch 1 latency over 200 single-text calls.
The exports' own checks on the run's {reports["ONNX"]["rows"]} test rows: eager {reports["ONNX"]["eager_accuracy"]:.3f},
{checks}. OpenVINO int8 is NNCF's post-training quantisation calibrated on 300 of the run's training texts.

{chr(10).join(table)}
{notes}
Targets: OpenVINO int8 faster than onnxruntime int8 in the same rounds and >= 4x eager at batch 32 (median round),
p50 single text <= 5 ms, accuracy within 0.005 of eager.

{OPENVINO_NOTES}

{INT8_NOTES}

Load test: `python -m core serve` on 127.0.0.1, which picks the fastest verified export (here {load['runtime']}), 16
concurrent clients ({load['client']}; without wrk, {args.requests} requests each) of one text per request:
**{load['errors']} errors** in {load['requests']:,} requests. Each round sits between two measurements of the same
model's offline throughput in this process (the VM drifts), and its throughput is divided by their mean. Median round:
**{median(load, 'r16'):.2f}x** the offline throughput on random 16-text batches, the batches 16 clients give a server
(cut into length-sorted pieces of at most {SERVE_MAX_TOKENS} padded tokens, as the server does; target >= 0.8x), and
{median(load, 'b32'):.2f}x the offline throughput on length-sorted batches of 32 (the best case, which one-text requests
cannot give a server). Per round: {rounds(load)}. Best round: {load['throughput']:.0f} texts/s, p50 {load['p50']:.1f} ms,
p99 {load['p99']:.1f} ms, {load['throughput'] / eager_rate(rows):.1f}x the eager model's
offline batch-32 rate. The same load test right after on the same run without its OpenVINO files (so served by
{load_ort['runtime']}): median round {median(load_ort, 'throughput'):.0f} texts/s against {median(load, 'throughput'):.0f}
({median(load_ort, 'r16'):.2f}x its own offline random-16 throughput; {load_ort['errors']} errors; per round:
{rounds(load_ort)}). The same server and clients with the TF-IDF baseline, whose model costs little, answer
{ceiling['throughput']:.0f} requests/s ({ceiling['errors']} errors): what HTTP, JSON and the load generator
leave on these 2 cores, of which the fine-tune's load test pays a share on every request.
""")


def eager_rate(rows: dict) -> float:
    return float(np.median(rows["eager PyTorch"]["rounds"]))


if __name__ == "__main__":
    main()
