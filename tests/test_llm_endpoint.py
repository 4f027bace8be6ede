"""The prompted LLM on an OpenAI-compatible server: scored from log-probabilities, or coarse from the answer's words
when the server gives none; requests in flight together; tokens and price counted; the operator's key only to the
operator's endpoints; a server that is down or slow is one sentence and leaves no half-written run. The server is
scripted (a real HTTP listener on 127.0.0.1); a real llama.cpp server is the slow test at the end."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from core.config import TrainConfig
from core.contenders import llm_endpoint
from core.contenders.llm import LLMClassifier
from core.contenders.llm_endpoint import coarse, walk
from core.errors import DataError
from tests.conftest import tiny_frame

NEGATIVE = ("terrible", "awful", "worst", "bad", "hate", "broken", "horrible", "disappointing")


def pos(token: str, logprob: float, *others: tuple[str, float]) -> dict:
    return {"token": token, "logprob": logprob,
            "top_logprobs": [{"token": token, "logprob": logprob}] + [{"token": t, "logprob": lp} for t, lp in others]}


def test_labels_sharing_a_first_token_are_told_apart_along_the_answer():
    answer = [pos("ab", -0.1, (" sp", -3.0)), pos("out", -0.2, ("brev", -1.9)), pos("<|im_end|>", -0.05)]
    scores = {c: walk(c, answer) for c in ("about", "abbreviation", "spam", "nonsense")}
    assert scores["about"] == pytest.approx(-0.35)  # spelled by the answer, then its end (-0.05)
    assert scores["abbreviation"] == pytest.approx(-2.0)  # the answer's "ab", then the alternative "brev"
    assert scores["spam"] == pytest.approx(-3.0)  # left the answer at its first token
    assert scores["nonsense"] == pytest.approx(-3.0)  # below every token shown: at most the smallest
    assert scores["about"] > scores["abbreviation"] > scores["nonsense"] - 1e-9


def test_a_label_that_is_a_prefix_of_the_answer_pays_for_the_answer_going_on():
    answer = [pos("spam", -0.1), pos("my", -0.4, ("<|im_end|>", -1.2))]
    assert walk("spammy", answer) == pytest.approx(-0.5)
    assert walk("spam", answer) == pytest.approx(-1.3)  # "spam" then the end it did not choose
    assert walk("Spam", [pos(" Spam", -0.1)]) == pytest.approx(-0.1)  # case and the leading space do not matter


def test_an_answer_in_words_is_mapped_to_a_label_and_is_coarse():
    classes = ["negative", "positive", "question"]
    assert coarse("Positive.", classes).argmax() == 1 and coarse("Positive.", classes).max() == pytest.approx(0.9)
    assert coarse("The answer is: question", classes).argmax() == 2
    assert np.allclose(coarse("I cannot tell", classes), 1 / 3)


class Server(BaseHTTPRequestHandler):
    """Answers like an OpenAI-compatible chat server whose model labels by keywords (right on the tiny data)."""

    seen: list[dict] = []
    logprobs, reject_logprobs, delay, die_after, garbled = True, (), 0.0, None, False
    in_flight = peak = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's naming
        cls = type(self)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with cls.lock:
            cls.seen.append({"auth": self.headers.get("Authorization"), "body": body})
            cls.in_flight += 1
            cls.peak = max(cls.peak, cls.in_flight)
            dead = cls.die_after is not None and len(cls.seen) > cls.die_after
        try:
            if dead:  # down mid-run: the connection drops without an answer
                self.close_connection = True
                return
            time.sleep(cls.delay)
            if any(field in body for field in cls.reject_logprobs):
                return self._send(400, {"error": {"message": "SECRET internal: unknown field logprobs"}})
            self._send(200, self._answer(body))
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _answer(self, body: dict) -> dict:
        if type(self).garbled:
            return {"choices": "not a list of choices"}
        text = body["messages"][-1]["content"].lower()
        label = "question" if "?" in text else "negative" if any(w in text for w in NEGATIVE) else "positive"
        other = {"positive": "neg", "negative": "pos", "question": "pos"}[label]
        pieces = [label[:3], label[3:]]
        content = [pos(pieces[0], -0.1, (other, -2.5), ("qu" if label != "question" else "ne", -3.0)),
                   pos(pieces[1], -0.05), pos("<|im_end|>", -0.01)]
        choice = {"message": {"role": "assistant", "content": label.capitalize()}, "finish_reason": "stop"}
        if type(self).logprobs and body.get("logprobs"):
            choice["logprobs"] = {"content": content}
        usage = {"prompt_tokens": sum(len(m["content"]) for m in body["messages"]) // 4, "completion_tokens": 3}
        return {"choices": [choice], "usage": usage}

    def _send(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (the timeout test)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    Server.seen, Server.logprobs, Server.reject_logprobs, Server.delay, Server.die_after = [], True, (), 0.0, None
    Server.garbled = False
    Server.in_flight = Server.peak = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("TUNELAB_API_KEY", "operator-secret")
    for name in ("TUNELAB_CHAT_ENDPOINTS", "TUNELAB_CUSTOM_ENDPOINTS", llm_endpoint.KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def fit(llm: str, **kw) -> LLMClassifier:
    df = tiny_frame()
    return LLMClassifier(llm=llm, shots=1, **kw).fit(df["text"], df["label"], eval_set=(df["text"][:20],
                                                                                           df["label"][:20]))


def test_a_server_with_log_probabilities_labels_like_a_local_model(server):
    model = fit(server + "|served", requests=4)
    texts = ["where is my parcel?", "awful, it broke", "lovely, thank you"]
    assert model.predict(texts) == ["question", "negative", "positive"]
    proba = model.predict_proba(texts)
    assert np.allclose(proba.sum(1), 1) and proba.max() < 0.999 and not model.coarse_  # graded, not one-hot
    sent = next(s["body"] for s in Server.seen if s["body"]["messages"][-1]["content"] == "Text: lovely, thank you")
    assert sent["logprobs"] is True and sent["temperature"] == 0 and sent["model"] == "served"
    assert sent["messages"][0]["role"] == "system" and sent["messages"][2]["role"] == "assistant"  # the examples
    usage = model.usage()
    assert usage["texts"] > 20 and usage["tokens_in"] > 0 and usage["tokens_out"] == 3 * usage["texts"]


@pytest.mark.parametrize("reject", [(), ("logprobs",), ("logprobs", "guided_choice")])
def test_a_server_without_log_probabilities_gives_coarse_probabilities_and_says_so(server, reject):
    Server.logprobs, Server.reject_logprobs = False, reject  # silently none, or a 400 for a parameter it does not know
    model = fit(server)
    assert model.coarse_ and model.predict(["how do I pay?"]) == ["question"]
    assert model.predict_proba(["how do I pay?"]).max() == pytest.approx(0.9)
    last = Server.seen[-1]["body"]
    assert not any(field in last for field in reject)  # moved on to what the server takes
    assert ("guided_choice" in last) == (reject == ("logprobs",))  # a constrained choice where it is taken


def test_requests_go_out_together(server):
    Server.delay = 0.2
    model = fit(server, requests=8)
    t0 = time.perf_counter()
    model.predict_proba([f"text number {i}" for i in range(16)])
    assert Server.peak >= 4 and time.perf_counter() - t0 < 16 * 0.2 / 2  # at least twice one-at-a-time's pace


def test_the_operators_key_goes_only_to_the_operators_endpoint(server, monkeypatch, tmp_path):
    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", f"Our server={server}|served|0.5")
    model = fit("endpoint:Our server")
    assert {s["auth"] for s in Server.seen} == {"Bearer operator-secret"}
    assert model.reference_ == {"source": "endpoint", "name": "Our server", "model": "served"}
    Server.seen.clear()
    fit(server.replace("127.0.0.1", "localhost"))  # a typed URL: no key at all, never the operator's
    assert {s["auth"] for s in Server.seen} == {None}
    monkeypatch.setenv(llm_endpoint.KEY_ENV, "visitor-own")
    Server.seen.clear()
    typed = fit(server.replace("127.0.0.1", "localhost"))
    assert {s["auth"] for s in Server.seen} == {"Bearer visitor-own"}
    typed.save(tmp_path / "m")
    assert "visitor-own" not in (tmp_path / "m" / "tunelab.json").read_text(encoding="utf-8")
    monkeypatch.setenv("TUNELAB_CUSTOM_ENDPOINTS", "0")
    with pytest.raises(DataError, match="only talks to the chat servers its operator configured"):
        fit("http://127.0.0.1:9/v1")


def test_a_priced_endpoint_run_records_tokens_and_dollars(server, monkeypatch, tmp_path):
    from core.train import run_training

    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", f"Our server={server}|served|0.5")
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    metrics = run_training(TrainConfig(model="llm", llm="endpoint:Our server", shots=1), tmp_path / "tiny.csv",
                           tmp_path / "run")
    speed = metrics["speed"]
    assert speed["tokens_out_per_text"] == 3 and speed["tokens_in_per_text"] > 20 and speed["coarse_share"] == 0
    tokens = speed["tokens_in_per_text"] + speed["tokens_out_per_text"]
    assert speed["usd_per_1000"] == pytest.approx(tokens * 0.5 / 1000, rel=0.01)
    assert metrics["test"]["accuracy"] == 1.0  # the scripted model is right on every tiny text
    assert "operator-secret" not in (tmp_path / "run" / "config.json").read_text(encoding="utf-8")


def test_a_server_that_goes_down_mid_run_is_one_sentence_and_keeps_no_half_run(server, tmp_path):
    from core.train import run_training

    Server.die_after = 6  # the 3 content-free texts and a few of the 7 validation rows, then nothing
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    events = []
    with pytest.raises(DataError, match="could not be reached"):
        run_training(TrainConfig(model="llm", llm=server, shots=1), tmp_path / "tiny.csv", tmp_path / "run",
                     on_progress=events.append)
    assert not (tmp_path / "run" / "metrics.json").exists() and not (tmp_path / "run" / "model").exists()


def test_a_slow_server_and_an_unknown_endpoint_are_one_sentence(server, monkeypatch):
    Server.delay = 1.0
    monkeypatch.setattr(llm_endpoint, "TIMEOUT_S", (1, 0.3))
    with pytest.raises(DataError, match="did not answer within 0.3 seconds"):
        fit(server)
    with pytest.raises(DataError, match="No LLM server called Elsewhere"):
        fit("endpoint:Elsewhere")
    Server.delay, Server.garbled = 0.0, True
    with pytest.raises(DataError, match="did not answer in the OpenAI format"):
        fit(server)


def test_a_typed_key_reaches_only_its_own_worker_and_is_never_written(data_dir, monkeypatch, tmp_path):
    from core import jobs
    from core.jobs import JobRunner
    from core.store import JobStatus, Store

    started, finish = [], threading.Event()

    class Proc:  # the worker process, as far as the runner sees it: running until the test ends
        pid = 2**22 + 7

        def wait(self):  # the runner's watcher thread polls the queue when this returns: not before the test's end
            finish.wait(30)
            return 0

    monkeypatch.setattr(jobs.subprocess, "Popen", lambda cmd, **kw: started.append(kw["env"]) or Proc())
    monkeypatch.setenv(llm_endpoint.KEY_ENV, "some-earlier-visitors-key")  # as if this were a chained worker
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    store, config = Store(data_dir), TrainConfig(model="llm", llm="http://127.0.0.1:9/v1|theirs")
    JobRunner(store, max_concurrent=5).submit(config, tmp_path / "tiny.csv", api_key="visitor-a")
    JobRunner(store, max_concurrent=5).submit(config, tmp_path / "tiny.csv")
    assert started[0][llm_endpoint.KEY_ENV] == "visitor-a" and llm_endpoint.KEY_ENV not in started[1]
    held = JobRunner(store, max_concurrent=0).submit(config, tmp_path / "tiny.csv", api_key="visitor-c")
    keys = dict(jobs._visitor_keys)
    monkeypatch.setattr(jobs, "_visitor_keys", {})  # another process: it does not hold the key, so it waits
    JobRunner(store, max_concurrent=5).poll()
    assert store.get_job(held).status == JobStatus.QUEUED and len(started) == 2
    monkeypatch.setattr(jobs, "_visitor_keys", keys)  # the process that holds it starts it
    JobRunner(store, max_concurrent=5).poll()
    assert started[-1][llm_endpoint.KEY_ENV] == "visitor-c"
    written = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    finish.set()
    assert b"visitor-a" not in written and b"visitor-c" not in written


def test_an_answer_that_opens_with_punctuation_is_followed_to_its_label():
    # what the embedded SmolLM2 on a llama.cpp server answers: "- negative"
    answer = [pos("-", -1.8, ("The", -2.3), (" positive", -4.0)), pos(" negative", -1.4, (" positive", -2.9)),
              pos("<|im_end|>", -0.1)]
    negative, positive = walk("negative", answer), walk("positive", answer)
    assert negative == pytest.approx(np.logaddexp(-4.0, -1.8 - 1.4 - 0.1))  # below all shown, or after the dash
    assert positive == pytest.approx(np.logaddexp(-4.0, -1.8 - 2.9))  # shown directly, or after the dash
    assert negative > positive


@pytest.mark.slow
def test_a_real_llama_cpp_server_is_scored_from_its_log_probabilities():
    from core.checkpoints import embedded_chat_gguf
    from tests.conftest import local_server

    # llama_cpp.server, with the engine's guard against AMX that a virtual machine advertises but cannot run
    start = ("import runpy, sys; from core.chat.llamacpp import without_extra_buffers; without_extra_buffers(); "
             "sys.argv[0] = 'llama_cpp.server'; runpy.run_module('llama_cpp.server', run_name='__main__')")
    with local_server(["-c", start, "--model", str(embedded_chat_gguf()), "--host", "127.0.0.1", "--n_ctx", "2048"],
                      health="/v1/models") as url:
        model = fit(url + "/v1|smollm2")
        proba = model.predict_proba(["terrible, it broke at once", "where is my order?", "I love it"])
    assert not model.coarse_ and model.usage()["tokens_out"] > 0  # log-probabilities came back, tokens were counted
    assert np.allclose(proba.sum(1), 1) and len({tuple(np.round(p, 4)) for p in proba}) == 3  # graded, per text


@pytest.mark.slow
def test_evaluate_shows_an_endpoint_runs_tokens_and_price_beside_the_baseline(server, data_dir, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.jobs import JobRunner
    from core.store import Store
    from tests.conftest import ROOT
    from tests.test_pages import finish

    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", f"Our server={server}|served|0.5")  # the workers inherit it
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    runner = JobRunner(Store(data_dir), max_concurrent=2)
    for config in (TrainConfig(), TrainConfig(model="llm", llm="endpoint:Our server", shots=1)):
        runner.submit(config, tmp_path / "tiny.csv")
    finish(runner)
    assert {j.status for j in runner.store.jobs()} == {"done"}, [j.error for j in runner.store.jobs()]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run().switch_page("pages/evaluate.py").run()
    assert not at.exception
    card = next(d.value for d in at.dataframe if "tokens per text" in d.value.columns)
    llm = card[card["contender"].str.contains("Our server")].iloc[0]
    base = card[card["contender"].str.contains("baseline")].iloc[0]
    assert llm["tokens per text"] > 20 and llm["$ per 1,000 texts"] == pytest.approx(llm["tokens per text"] * 0.5 / 1000,
                                                                                     rel=0.02)
    assert np.isnan(base["tokens per text"]) and np.isnan(base["$ per 1,000 texts"])  # not a token-billed model


def test_a_run_on_a_server_without_log_probabilities_says_its_confidence_is_coarse(server, tmp_path):
    from core.report import build_dashboard
    from core.train import run_training

    Server.logprobs = False
    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    metrics = run_training(TrainConfig(model="llm", llm=server, shots=1, name="Prompted server"), tmp_path / "tiny.csv",
                           tmp_path / "run")
    assert metrics["speed"]["coarse_share"] == 1.0
    notes = build_dashboard([tmp_path / "run"]).notes
    assert ["The Prompted server asked a server that gave no log-probabilities for 100% of the texts: its confidence "
            "there is coarse (0.9 for the label it answered), not a probability."] == notes
