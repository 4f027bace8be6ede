"""Numbers a chat answer may use: every number in the facts it was given, at any rounding.

A small model asked to explain results can invent a figure that reads as true. After the
answer, `unsupported_numbers(answer, facts)` lists each number in it that none of the
facts' numbers rounds to (84.1% in the facts supports "84%", "84.1%" and "0.84"; it does
not support "85%"), so the page can mark them under the answer.
"""
from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(\s?%)?")


def _values(text: str) -> list[tuple[float, int, str]]:
    """(value, decimals, as written) for every number in `text`."""
    out = []
    for m in NUMBER.finditer(text):
        whole, frac = m.group(1).replace(",", ""), m.group(2) or ""
        out.append((float(f"{whole}.{frac}" if frac else whole), len(frac), m.group(0).strip()))
    return out


def unsupported_numbers(answer: str, facts: str) -> list[str]:
    """The numbers written in `answer` that no number in `facts` rounds to (as written, in order, once each)."""
    known = set()
    for value, _, _ in _values(facts):
        known |= {value, value * 100, value / 100}  # 0.841 and 84.1% are the same fact
    out = []
    for value, decimals, written in _values(answer):
        ok = any(round(k, decimals) == value for k in known)
        if not ok and written not in out:
            out.append(written)
    return out
