"""Fit a conversation into a model's context window: keep the system prompt and the
newest turns, drop the oldest, and never crash on a conversation that is too long."""
from __future__ import annotations

from typing import Callable

PER_MESSAGE = 4  # role markers and separators each chat template adds, roughly


def trim_messages(messages: list[dict], count: Callable[[str], int], budget: int) -> tuple[list[dict], int, int]:
    """(kept messages, how many were dropped, prompt tokens). The system prompt and the
    last message always stay; if even those overflow, the last message keeps its end."""
    budget = max(budget, 16)
    system = [m for m in messages[:1] if m.get("role") == "system"]
    turns = messages[len(system):]
    if not turns:
        return list(system), 0, sum(count(m["content"]) + PER_MESSAGE for m in system)
    used = sum(count(m["content"]) + PER_MESSAGE for m in system)
    kept: list[dict] = []
    for msg in reversed(turns):
        cost = count(msg["content"]) + PER_MESSAGE
        if kept and used + cost > budget:
            break
        kept.insert(0, msg)
        used += cost
    if used > budget:  # the last message alone is too long: keep its end, where the question usually is
        last = kept[-1]
        room = max(8, budget - (used - count(last["content"]) - PER_MESSAGE) - PER_MESSAGE)
        text = last["content"]
        while count(text) > room and len(text) > 16:
            text = text[len(text) // 8:]
        kept[-1] = {**last, "content": text}
        used = sum(count(m["content"]) + PER_MESSAGE for m in system + kept)
    return system + kept, len(turns) - len(kept), used

