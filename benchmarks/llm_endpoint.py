"""The prompted LLM on an OpenAI-compatible server: does scoring from the server's log-probabilities agree with
scoring the same model locally, and do concurrent requests raise texts/s?

1. The embedded SmolLM2 on a real llama.cpp server (llama-cpp-python's `llama_cpp.server`, 127.0.0.1) against the
   same model scored locally (transformers): accuracy and agreement on --rows SST-2 test rows, zero-shot.
2. texts/s with 1 request at a time against `--requests` at once, on that server and on a scripted server that
   answers every request after a fixed --latency (what a batching server such as vLLM looks like from outside:
   each answer takes as long however many are in flight).

    python benchmarks/llm_endpoint.py [--rows 100] [--requests 8] [--latency 0.2]
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import SHARED, write_section  # noqa: E402
from core.checkpoints import embedded_chat_gguf  # noqa: E402
from core.contenders.llm import LLMClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START = ("import runpy, sys; from core.chat.llamacpp import without_extra_buffers; without_extra_buffers(); "
         "sys.argv[0] = 'llama_cpp.server'; runpy.run_module('llama_cpp.server', run_name='__main__')")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llama_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", START, "--model", str(embedded_chat_gguf()), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "2048"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    return proc, f"http://127.0.0.1:{port}/v1"


def scripted(latency: float) -> tuple[ThreadingHTTPServer, str]:
    class Fixed(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency)
            token = {"token": "positive", "logprob": -0.1, "top_logprobs": [{"token": "positive", "logprob": -0.1},
                                                                          {"token": "negative", "logprob": -2.4}]}
            data = json.dumps({"choices": [{"message": {"content": "positive"}, "logprobs": {"content": [token]}}],
                               "usage": {"prompt_tokens": 50, "completion_tokens": 1}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def scored(llm: str, train, test, requests: int = 8) -> dict:
    model = LLMClassifier(llm=llm, shots=0, calibrate=False, requests=requests)
    model.fit(train["text"].tolist(), train["label"].tolist())
    t0 = time.perf_counter()
    proba = model.predict_proba(test["text"].tolist())
    seconds = time.perf_counter() - t0
    pred = np.array(model.classes_)[proba.argmax(1)]
    return {"pred": pred, "accuracy": float(np.mean(pred == test["label"].values)), "texts_per_s": len(test) / seconds,
            "coarse": model.coarse_, "usage": model.usage()}


def main() -> None:
    a = argparse.ArgumentParser()
    a.add_argument("--rows", type=int, default=100)
    a.add_argument("--requests", type=int, default=8)
    a.add_argument("--latency", type=float, default=0.2)
    args = a.parse_args()
    train = pd.read_csv(SHARED / "sst2" / "train.csv").dropna().astype(str).sample(200, random_state=0)
    test = pd.read_csv(SHARED / "sst2" / "test.csv").dropna().astype(str).sample(args.rows, random_state=0)
    proc, url = llama_server()
    try:
        one = scored(url + "|smollm2", train, test, requests=1)
        many = scored(url + "|smollm2", train, test, requests=args.requests)
    finally:
        proc.terminate()
    local = scored("default", train, test)
    server, fake = scripted(args.latency)
    texts = test.head(min(len(test), 64))
    fixed = {n: scored(fake, train, texts, requests=n)["texts_per_s"] for n in (1, args.requests)}
    server.shutdown()
    agree = {k: f"{np.mean(r['pred'] == local['pred']):.0%}" for k, r in (("one", one), ("many", many))}
    tokens = one["usage"]["tokens_in"] / one["usage"]["texts"], one["usage"]["tokens_out"] / one["usage"]["texts"]
    write_section("Prompted LLM on a server", f"""
`benchmarks/llm_endpoint.py --rows {args.rows} --requests {args.requests} --latency {args.latency}`. The embedded
SmolLM2-135M, zero-shot, on {args.rows} random SST-2 test rows: served by llama-cpp-python's `llama_cpp.server`
(Q4_1 GGUF, 127.0.0.1) and scored from its top-20 log-probabilities, against the same model scored locally
(transformers, fp32, every label's tokens).

| scoring | accuracy | texts/s | agreement with local |
|---|---|---|---|
| local (transformers) | {local['accuracy']:.3f} | {local['texts_per_s']:.1f} | - |
| llama.cpp server, 1 request at a time | {one['accuracy']:.3f} | {one['texts_per_s']:.1f} | {agree['one']} |
| llama.cpp server, {args.requests} at once | {many['accuracy']:.3f} | {many['texts_per_s']:.1f} | {agree['many']} |

Log-probabilities came back ({'coarse: none' if one['coarse'] else 'no coarse answers'}); {tokens[0]:.0f} tokens
in and {tokens[1]:.1f} out per text were counted from the server's `usage`. llama-cpp-python's server answers one
request at a time, so concurrency cannot help it. Against a scripted server that answers every request after
{args.latency} s however many are in flight (how a batching server such as vLLM looks from outside), on
{len(texts)} texts: **{fixed[1]:.1f} texts/s one at a time, {fixed[args.requests]:.1f} with {args.requests} at once
({fixed[args.requests] / fixed[1]:.1f}x)**.
""")
    print(json.dumps({"local": local["accuracy"], "one": one["texts_per_s"], "many": many["texts_per_s"],
                      "fixed": fixed}, default=str))


if __name__ == "__main__":
    main()
