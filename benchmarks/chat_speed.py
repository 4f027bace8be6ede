"""Chat speed: Tunelab's ChatEngine against calling llama-cpp-python directly.

Same GGUF (embedded SmolLM2-135M Q4_1), prompts, max tokens, thread count and
greedy decoding, in one run; the two alternate prompt by prompt so background
load hits both alike. Tokens/s is decode speed (tokens after the first over the
time after the first); TTFT is the call to the first token. Target: >= 0.9x.

    python benchmarks/chat_speed.py [--rounds 3] [--max-tokens 128]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import write_section  # noqa: E402
from core.chat.base import ChatParams, cpu_threads  # noqa: E402
from core.chat.llamacpp import LlamaCppEngine  # noqa: E402
from core.checkpoints import embedded_chat_gguf  # noqa: E402

PROMPTS = ["Explain in a few sentences what a confusion matrix shows.",
           "Write a short friendly reply to a customer whose parcel is late.",
           "List three ways to improve a text classifier trained on little data.",
           "What does macro-F1 mean, in plain words?"]


def direct(llm, prompt: str, max_tokens: int) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    first, n = None, 0
    for chunk in llm.create_chat_completion(messages=[{"role": "user", "content": prompt}], stream=True,
                                            temperature=0.0, max_tokens=max_tokens, seed=0):
        if chunk["choices"][0]["delta"].get("content"):
            first = first or time.perf_counter()
            n += 1
    end = time.perf_counter()
    return n, first - t0, (n - 1) / (end - first)


def ours(engine, prompt: str, max_tokens: int) -> tuple[int, float, float]:
    for _ in engine.stream([{"role": "user", "content": prompt}], ChatParams(temperature=0.0, max_tokens=max_tokens)):
        pass
    s = engine.last_stats
    return s.tokens, s.ttft_s, s.tokens_per_s


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-tokens", type=int, default=128)
    args = p.parse_args()
    from llama_cpp import Llama

    threads = cpu_threads()
    gguf = str(embedded_chat_gguf())
    engine = LlamaCppEngine(gguf, context_window=4096, threads=threads)
    llm = Llama(model_path=gguf, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    ours(engine, PROMPTS[0], 8), direct(llm, PROMPTS[0], 8)  # warm both (first call pays page-in costs)
    runs = {"direct": [], "ours": []}
    for _ in range(args.rounds):
        for prompt in PROMPTS:
            runs["direct"].append(direct(llm, prompt, args.max_tokens))
            runs["ours"].append(ours(engine, prompt, args.max_tokens))
    med = {k: (statistics.median(r[2] for r in v), statistics.median(r[1] for r in v), sum(r[0] for r in v))
           for k, v in runs.items()}
    ratio = med["ours"][0] / med["direct"][0]
    write_section("Chat speed against llama-cpp-python called directly", f"""
Reference: `llama_cpp.Llama.create_chat_completion(stream=True)` called directly, same process and run.
Embedded SmolLM2-135M-Instruct Q4_1, {threads} threads for both, greedy, max {args.max_tokens} new tokens,
{len(PROMPTS)} prompts x {args.rounds} rounds, alternating. Medians over the {len(runs['ours'])} generations each.

| | decode tokens/s | time to first token | tokens generated |
|---|---|---|---|
| llama-cpp-python direct | {med['direct'][0]:.1f} | {med['direct'][1]:.3f} s | {med['direct'][2]} |
| Tunelab ChatEngine | {med['ours'][0]:.1f} | {med['ours'][1]:.3f} s | {med['ours'][2]} |

**Ratio (ours / direct, tokens/s): {ratio:.2f}x** (target >= 0.9x). Our engine passes llama-cpp-python all cores
(its own default is half: {max(1, threads // 2)} here).
""")


if __name__ == "__main__":
    main()
