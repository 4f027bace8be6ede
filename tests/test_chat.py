"""core.chat: every backend on the embedded model, trimming, stopping, concurrency, CLI."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from core.chat.base import ChatParams, cpu_threads, with_system
from core.chat.hf import TransformersEngine
from core.chat.loader import load_engine
from core.chat.openai_http import OpenAIEngine
from core.chat.trim import trim_messages
from core.checkpoints import embedded_chat_gguf
from core.errors import DataError
from tests.conftest import ROOT

GREEDY = ChatParams(temperature=0.0, max_tokens=24)
ASK = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


@pytest.fixture(scope="module")
def llama():
    return load_engine("default")


def test_llamacpp_streams_and_matches_non_streaming(llama):
    pieces = list(llama.stream(ASK, GREEDY))
    stats = llama.last_stats
    assert len(pieces) > 1 and "Paris" in "".join(pieces)
    assert "".join(pieces) == llama.complete(ASK, GREEDY)
    assert stats.tokens == len(pieces) and stats.tokens_per_s > 0 and 0 < stats.ttft_s < stats.seconds
    assert llama.backend == "llama.cpp" and llama.threads == cpu_threads()  # all cores, not llama-cpp's half


def test_conversation_longer_than_the_context_is_trimmed_not_crashed():
    engine = load_engine("default", context_window=512)
    system = {"role": "system", "content": "You are terse."}
    long_talk = [{"role": r, "content": f"Message {i}: " + "lorem ipsum dolor sit amet " * 20}
                 for i, r in zip(range(40), ["user", "assistant"] * 20, strict=False)]
    answer = engine.complete([system, *long_talk, *ASK], GREEDY)
    assert answer and engine.last_stats.trimmed_messages > 30
    assert engine.last_stats.prompt_tokens <= 512 - GREEDY.max_tokens


def test_trim_keeps_system_and_the_latest_turns():
    msgs = [{"role": "system", "content": "s" * 40}] + [{"role": "user", "content": f"{i}" * 40} for i in range(10)]
    kept, dropped, used = trim_messages(msgs, len, 150)
    assert kept[0]["role"] == "system" and kept[-1]["content"] == "9" * 40
    assert dropped == 8 and used <= 150
    huge = [{"role": "user", "content": "x" * 5000 + " the question?"}]
    kept, _, used = trim_messages(huge, len, 200)
    assert kept[0]["content"].endswith("the question?") and used <= 200


def test_stop_mid_stream(llama):
    seen = []
    for piece in llama.stream(ASK, ChatParams(temperature=0, max_tokens=60), should_stop=lambda: len(seen) >= 3):
        seen.append(piece)
    assert len(seen) == 3 and llama.last_stats.stopped
    assert llama.complete(ASK, GREEDY)  # the engine is usable again (lock released)


def test_concurrent_users_queue_instead_of_corrupting(llama):
    expected = llama.complete(ASK, GREEDY)
    results = []
    threads = [threading.Thread(target=lambda: results.append(llama.complete(ASK, GREEDY))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [expected] * 3


@pytest.mark.slow
@pytest.mark.usefixtures("llama")
def test_transformers_backend_on_the_embedded_weights():
    gguf = embedded_chat_gguf()
    engine = TransformersEngine(str(gguf.parent), gguf_file=gguf.name)
    streamed = "".join(engine.stream(ASK, GREEDY))
    assert "Paris" in streamed and engine.last_stats.tokens > 1
    assert streamed == engine.complete(ASK, GREEDY)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_http_backend_against_a_real_local_llama_cpp_server():
    port = _free_port()
    # llama_cpp.server, with the engine's guard against AMX that a virtual machine advertises but cannot run
    start = ("import runpy, sys; from core.chat.llamacpp import without_extra_buffers; without_extra_buffers(); "
             "sys.argv[0] = 'llama_cpp.server'; runpy.run_module('llama_cpp.server', run_name='__main__')")
    server = subprocess.Popen([sys.executable, "-c", start, "--model", str(embedded_chat_gguf()),
                               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        engine = load_engine("default", endpoint=f"http://127.0.0.1:{port}/v1", endpoint_model="smollm2")
        assert isinstance(engine, OpenAIEngine)
        streamed = list(engine.stream(with_system(ASK, "Answer briefly."), GREEDY))
        assert len(streamed) > 1 and "Paris" in "".join(streamed)
        assert "".join(streamed) == engine.complete(with_system(ASK, "Answer briefly."), GREEDY)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_unreachable_endpoint_and_offline_hub_id_are_one_sentence():
    engine = load_engine(endpoint=f"http://127.0.0.1:{_free_port()}/v1")
    with pytest.raises(DataError, match="could not be reached"):
        engine.complete(ASK, GREEDY)
    with pytest.raises(DataError, match="could not be loaded"):
        load_engine("someorg/some-chat-model")
    with pytest.raises(DataError, match="is not a GGUF model file"):
        load_engine("/nonexistent/model.gguf")


def test_cli_chat_json():
    res = subprocess.run([sys.executable, "-m", "core", "chat", "--prompt", ASK[0]["content"], "--temperature", "0",
                          "--max-tokens", "24", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) == {"text", "tokens", "ttft_s", "tokens_per_s", "backend"}
    assert "Paris" in out["text"] and out["backend"] == "llama.cpp" and out["tokens"] > 1
