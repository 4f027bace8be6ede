"""The chat engine interface: messages in, text pieces out, then stats. Imports no backend.

    engine = load_engine("default")              # core.chat.loader: embedded SmolLM2 GGUF on llama.cpp
    for piece in engine.stream(messages, ChatParams(temperature=0)):
        print(piece, end="")
    engine.last_stats.tokens_per_s

Backends share `ChatEngine.stream`: llama.cpp for GGUF files (fastest on CPU),
transformers for Hugging Face checkpoints, and any OpenAI-compatible server
(vLLM, TGI, llama.cpp server) to scale past one machine. Each engine holds a
lock for the whole generation: llama.cpp contexts are not thread-safe, so
concurrent users queue instead of corrupting each other's output.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from core.chat.loops import loop_start
from core.chat.trim import trim_messages
from core.i18n import N_, translator

Messages = list[dict]
SMALL_PARAMS = 1_000_000_000  # below 1B parameters a model could not restate 5 facts without inventing (chat check)


@dataclass(frozen=True)
class ChatParams:
    temperature: float = 0.7
    top_p: float = 0.9
    max_tokens: int = 256
    seed: int = 0
    repeat_penalty: float | None = None  # None: the engine's own (1.3 for models under 1B parameters)


@dataclass
class ChatStats:
    tokens: int = 0
    ttft_s: float = 0.0  # seconds from the call to the first piece of text
    seconds: float = 0.0
    tokens_per_s: float = 0.0  # decode speed: tokens after the first, over the time after the first
    prompt_tokens: int = 0
    trimmed_messages: int = 0
    stopped: bool = False
    cut: str | None = None  # "loop" (stopped at a repetition loop) or "length" (max_tokens reached)


def with_system(messages: Messages, system: str | None) -> Messages:
    """Put a system prompt first (replacing any there)."""
    rest = [m for m in messages if m.get("role") != "system"]
    return ([{"role": "system", "content": system}] if system else []) + rest


def transcript_markdown(messages: list[dict], lang: str = "en") -> str:
    """A chat transcript as Markdown (for download), its headings in `lang`."""
    _, roles = translator(lang), {"user": N_("user"), "assistant": N_("assistant"), "system": N_("system")}
    out = ["# " + _("Tunelab chat transcript"), ""]
    for m in messages:
        name = roles.get(m["role"])
        role = _(name) if name else m["role"]
        badge = " _(" + _("classified: {label}", label=m["badge"]) + ")_" if m.get("badge") else ""
        out += [f"**{role}**" + badge, "", m["content"], ""]
    return "\n".join(out)


class ChatEngine:
    """The interface every backend implements: `stream`, `count_tokens`, `context_window`."""

    backend = "abstract"
    context_window = 2048
    label = "a chat model"  # what the page names as answering: a file name, a Hub id, an endpoint's label
    params: int | None = None  # parameters, when the backend can tell (an endpoint cannot)

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_stats = ChatStats()

    @property
    def small(self) -> bool:
        """Too small to be relied on to restate facts (see core.chat.grounded)."""
        return self.params is not None and self.params < SMALL_PARAMS

    def repeat_penalty(self, params: ChatParams) -> float:
        # 1.3 keeps SmolLM2-135M out of most loops (the chat check); larger models write better without one
        return params.repeat_penalty or (1.3 if self.small else 1.0)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)  # ~4 characters a token for English; backends with a tokenizer do better

    def _pieces(self, messages: Messages, params: ChatParams) -> Iterator[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def stream(self, messages: Messages, params: ChatParams = ChatParams(),
               should_stop: Callable[[], bool] | None = None, names: tuple[str, ...] = ()) -> Iterator[str]:
        """Yield the answer piece by piece; old turns are trimmed to fit the context
        window (the system prompt is kept). Stops early when `should_stop()` is true,
        the caller stops iterating, or the answer loops (`names`, said twice, are no loop).
        Sets `last_stats` when done (`cut` says why it ended early)."""

        budget = self.context_window - params.max_tokens - 32  # 32: chat-template tokens per turn, roughly
        with self.lock:  # count_tokens calls the backend's tokenizer, which is no more thread-safe than generation
            trimmed, dropped, prompt_tokens = trim_messages(messages, self.count_tokens, budget)
            stats = ChatStats(prompt_tokens=prompt_tokens, trimmed_messages=dropped)
            t0 = time.perf_counter()
            t_first = None
            pieces, text = self._pieces(trimmed, params), ""
            try:
                for piece in pieces:
                    if should_stop and should_stop():
                        stats.stopped = True
                        break
                    if not piece:
                        continue
                    if t_first is None:
                        t_first = time.perf_counter()
                    stats.tokens += 1
                    text += piece
                    yield piece
                    if stats.tokens % 8 == 0 and loop_start(text, ignore=names) is not None:  # every 8: cheap
                        stats.cut = "loop"
                        break
                if stats.cut is None and not stats.stopped and stats.tokens >= params.max_tokens:
                    stats.cut = "length"
            finally:
                close = getattr(pieces, "close", None)
                if close:
                    close()
                t_end = time.perf_counter()
                stats.seconds = t_end - t0
                stats.ttft_s = (t_first or t_end) - t0
                if t_first and stats.tokens > 1 and t_end > t_first:
                    stats.tokens_per_s = (stats.tokens - 1) / (t_end - t_first)
                self.last_stats = stats

    def complete(self, messages: Messages, params: ChatParams = ChatParams()) -> str:
        """The whole answer at once (the same generation, collected)."""
        return "".join(self.stream(messages, params))


def cpu_threads() -> int:
    """All the cores this process may use: llama-cpp-python's own default is half of
    them, which on 2 cores halves decode speed."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)
