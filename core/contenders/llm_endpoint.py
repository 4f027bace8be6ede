"""The prompted LLM on an OpenAI-compatible server (vLLM, a llama.cpp server, a hosted API): the same prompt as a
local model, sent as chat messages, scored from the log-probabilities the server returns.

A server shows only the top log-probabilities at each position of the answer it generates (greedy, temperature 0),
so a label is scored by walking the answer: while the answer spells the label, its tokens' log-probabilities add up;
where the label leaves the answer, the alternative token that continues it is counted and the rest is taken as
certain (an upper bound); a label no shown token continues gets the smallest one shown (also an upper bound). Labels
sharing a first token ("abbreviation", "about") are told apart when the model's answer starts with that token, which
is when it matters. A server that returns no log-probabilities is asked for the label in words (constrained to the
labels where it supports that, as vLLM does); the answer is mapped to a label and its probabilities are coarse
(COARSE_P), which the run records.

Requests go out `requests` at a time (threads), so a vLLM or llama.cpp server batches them. Keys follow
core.chat.endpoints: the operator's key only to the operator's endpoints (named `endpoint:LABEL`); a typed URL gets
only a key handed to this one process in KEY_ENV, which nothing writes down.
"""
from __future__ import annotations

import math
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from core.chat import endpoints
from core.chat.endpoints import PREFIX
from core.contenders import llm_scoring as scoring
from core.errors import DataError

KEY_ENV = endpoints.VISITOR_KEY_ENV
TOP_LOGPROBS = 20  # OpenAI's and vLLM's default ceiling
COARSE_P = 0.9  # a server without log-probabilities: the label it named gets 0.9, the rest share 0.1
# What is asked, best first: log-probabilities; else a constrained choice among the labels (vLLM reads both spellings,
# older `guided_choice` and newer `structured_outputs`); else the label in words. A 400 moves to the next.
MODES = (lambda classes: {"logprobs": True, "top_logprobs": TOP_LOGPROBS},
         lambda classes: {"guided_choice": classes, "structured_outputs": {"choice": classes}},
         lambda classes: {})
PREAMBLE = 3  # punctuation tokens an answer may open with before its label ("- ", "**", a quote)
TIMEOUT_S = (5, 120)  # connect, read: a 1.5B model on 2 cores answers in ~0.3 s, a busy server can queue for a minute


@dataclass(frozen=True)
class Target:
    """Where the requests go and what a run records of it (never a key)."""

    url: str
    model: str
    label: str  # the operator's name for it, or the typed URL
    configured: bool
    price: float | None  # US dollars per million tokens

    def reference(self) -> dict:
        return {"source": "endpoint", "name": self.label, "model": self.model}

    def key(self) -> str | None:
        return endpoints.operator_key() if self.configured else os.environ.get(KEY_ENV) or None


def resolve(spec: str) -> Target:
    """`endpoint:LABEL` (the operator's) or `http(s)://host/v1|model` (typed; refused where the operator switched
    typed URLs off), as one sentence when it is neither."""
    if spec.startswith(PREFIX):
        found = endpoints.find(spec[len(PREFIX):])
        if found is None:
            raise DataError("No LLM server called {label} is configured on this server (TUNELAB_CHAT_ENDPOINTS); "
                            "pick one from the list.", label=spec[len(PREFIX):])
        return Target(found.url, found.model, found.label, True, found.price)
    url, _, model = spec.partition("|")
    endpoints.key_for(url)  # one sentence for a malformed URL or where typed URLs are off
    found = endpoints.matching(url)
    if found is not None:
        return Target(found.url, model.strip() or found.model, found.label, True, found.price)
    return Target(url.strip(), model.strip() or "default", url.strip(), False, None)


class EndpointScorer:
    """Label probabilities for texts from one server, `requests` at a time; counts the tokens it is billed."""

    def __init__(self, target: Target, system: str, examples: list[tuple[str, str]], classes: list[str],
                 requests: int = 8, usage: dict | None = None):
        import requests as http  # put off: loads requests (~0.1 s)

        self.http, self.target, self.system, self.examples, self.classes = http, target, system, examples, classes
        self.workers = max(1, requests)
        base = target.url.rstrip("/")
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.max_tokens = min(32, max(len(c) for c in classes) // 2 + 3)  # enough tokens to spell the longest label
        self.mode = 0  # index in MODES: moves on for good when a server refuses a mode's parameters (HTTP 400)
        self.lock = threading.Lock()
        # tokens the server reports and answers without log-probabilities, added to the caller's counters
        self.usage = usage if usage is not None else {"tokens_in": 0, "tokens_out": 0, "coarse": 0}

    def probas(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= 1 or self.workers == 1:
            return np.array([self.proba(t) for t in texts]).reshape(-1, len(self.classes))
        pool = ThreadPoolExecutor(self.workers)
        try:
            return np.array(list(pool.map(self.proba, texts))).reshape(-1, len(self.classes))
        finally:  # an error in one request ends the batch with its sentence: the requests not yet sent are dropped
            pool.shutdown(wait=False, cancel_futures=True)

    def proba(self, text: str) -> np.ndarray:
        answer = self._ask(scoring.conversation(self.system, self.examples, text))
        try:
            return self._read(answer)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError):
            raise self._not_openai() from None

    def _read(self, answer: dict) -> np.ndarray:
        choice = (answer.get("choices") or [{}])[0]
        content = ((choice.get("logprobs") or {}).get("content")) or []
        usage = answer.get("usage") or {}
        with self.lock:
            self.usage["tokens_in"] += int(usage.get("prompt_tokens") or 0)
            self.usage["tokens_out"] += int(usage.get("completion_tokens") or 0)
            self.usage["coarse"] += not content
        if content:
            return scoring.normalise(np.array([walk(c, content) for c in self.classes]))
        return coarse(((choice.get("message") or {}).get("content")) or "", self.classes)

    def _ask(self, messages: list[dict]) -> dict:
        mode = self.mode  # read once: another thread may move it on meanwhile
        body = {"model": self.target.model, "messages": messages, "max_tokens": self.max_tokens, "temperature": 0,
                "seed": 0, **MODES[mode](self.classes)}
        key = self.target.key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        resp = self._post(body, headers)
        if resp.status_code == 400 and mode + 1 < len(MODES):  # a server that does not know a parameter: the next mode
            self.mode = max(self.mode, mode + 1)
            return self._ask(messages)
        if resp.status_code in (401, 403):
            raise DataError("The LLM server at {label} refused the request (HTTP {status}): it needs a valid key.",
                            label=self.target.label, status=resp.status_code)
        if resp.status_code != 200:  # the server's own words are another party's text: never shown
            raise DataError("The LLM server at {label} answered with an error (HTTP {status}); check the model name, and "
                            "that the prompt with its examples fits the model (fewer examples per label).",
                            label=self.target.label, status=resp.status_code)
        try:
            return resp.json()
        except ValueError:
            raise self._not_openai() from None

    def _not_openai(self) -> DataError:
        return DataError("The LLM server at {label} did not answer in the OpenAI format; check that the address "
                         "points to an OpenAI-compatible /v1 endpoint.", label=self.target.label)

    def _post(self, body: dict, headers: dict):
        try:
            return self.http.post(self.url, json=body, headers=headers, timeout=TIMEOUT_S)
        except self.http.Timeout as exc:
            raise DataError("The LLM server at {label} did not answer within {s} seconds; it may be overloaded.",
                            label=self.target.label, s=TIMEOUT_S[1]) from exc
        except self.http.RequestException as exc:
            raise DataError("The LLM server at {label} could not be reached; check that it is running.",
                            label=self.target.label) from exc


def _norm(token: str, first: bool) -> str:
    return (token.lstrip() if first else token).lower()


def walk(label: str, content: list[dict], start: int = 0) -> float:
    """A label's log-score from a greedy answer's positions (token, logprob, top_logprobs): see the module's
    docstring. Upper bounds where the answer leaves the label, exact while it spells it. An answer that opens with
    punctuation ("- negative", a quote) is followed past it too: the label's paths with and without it add up."""
    target, said, total = label.lower(), "", 0.0
    for i in range(start, len(content)):
        pos = content[i]
        rest = target[len(said):]
        shown = [(_norm(t.get("token", ""), not said), t.get("logprob", -math.inf)) for t in pos.get("top_logprobs") or []]
        floor = min((lp for _, lp in shown), default=pos.get("logprob", 0.0))
        if not rest:  # the label is spelled and the answer goes on: count the answer's end here
            ends = [lp for tok, lp in shown if not tok.strip() or tok.startswith(("<|", "</s", "<end"))]
            return total + (max(ends) if ends else floor)
        greedy = _norm(pos.get("token", ""), not said)
        if greedy and rest.startswith(greedy):
            total, said = total + pos.get("logprob", 0.0), said + greedy
            continue
        fits = [lp for tok, lp in shown if tok and rest.startswith(tok)]
        here = total + (max(fits) if fits else floor)
        if not said and greedy and not any(ch.isalnum() for ch in greedy) and i - start < PREAMBLE:
            return float(np.logaddexp(here, pos.get("logprob", 0.0) + walk(label, content, i + 1)))
        return here
    # the answer ended short of the label: ending had at least the continuation's probability, so the continuation
    # had at most 1/2 (max_tokens spells the longest label with room, so an answer is not cut short)
    return total if said == target else total - math.log(2)


def coarse(answer: str, classes: list[str]) -> np.ndarray:
    """Probabilities from an answer in words: COARSE_P for the label it names (exactly, else the longest label it
    starts with, else the longest it contains), uniform when it names none."""
    said = re.sub(r"[\s\"'`.*:!]+", " ", answer.lower()).strip()
    lowered = [c.lower() for c in classes]
    pick = next((i for i, c in enumerate(lowered) if c == said), None)
    for test in (said.startswith, said.__contains__):
        if pick is None:
            hits = [i for i, c in enumerate(lowered) if test(c)]
            pick = max(hits, key=lambda i: len(lowered[i]), default=None)
    n = len(classes)
    if pick is None or n < 2:
        return np.full(n, 1 / n)
    out = np.full(n, (1 - COARSE_P) / (n - 1))
    out[pick] = COARSE_P
    return out
