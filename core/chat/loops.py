"""Small models loop ("This bias is known as fairness bias" ten times, then cut mid-sentence at 256 tokens).
`loop_start` finds a loop as it is written, so the engine stops there (core.chat.base); `finish` cuts the
answer back to its last full sentence and says why it was cut.
"""
from __future__ import annotations

import re

from core.i18n import translator

LOOP_N = 8  # an 8-token sequence written a third time is a loop, not emphasis
TOKEN = re.compile(r"[\u3400-\u9fff]|\w+|[^\w\s]")  # a CJK character, a word, or a punctuation mark
SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]")


def loop_start(text: str, n: int = LOOP_N, times: int = 3, ignore: list[str] = ()) -> int | None:
    """Where a loop starts in `text`: the character offset of the second time some n-token sequence was written,
    when one was written `times` times (None: no loop). Names in `ignore` count as one token."""
    for name in sorted(ignore, key=len, reverse=True):
        if name:
            text = text.replace(name, "\0" * len(name))  # same length, so offsets stay true
    spans = [(m.start(), m.group()) for m in re.finditer(r"\0+|" + TOKEN.pattern, text)]
    seen: dict[tuple, list[int]] = {}
    for i in range(len(spans) - n + 1):
        key = tuple(t for _, t in spans[i:i + n])
        starts = seen.setdefault(key, [])
        if starts and i - starts[-1] < n:  # overlapping with itself ("a a a a ..."): count from the first
            continue
        starts.append(i)
        if len(starts) >= times:
            return spans[starts[1]][0]
    return None


def finish(text: str, cut: str | None, lang: str = "en") -> tuple[str, str | None]:
    """The answer to keep and a note when it was cut: at a loop, back to before its repetition; at the length
    limit, back to the last full sentence."""
    _ = translator(lang)
    if cut == "loop":
        start = loop_start(text, times=2) or len(text)
        text = text[:start]
    if cut in ("loop", "length"):
        ends = [m.end() for m in SENTENCE_END.finditer(text)]
        text = text[:ends[-1]] if ends else text
        note = _("The answer was cut: the model started repeating itself.") if cut == "loop" else \
            _("The answer was cut at the length limit.")
        return text.strip(), note
    return text.strip(), None
