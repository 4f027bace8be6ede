"""The prompted LLM for texts with several labels: one yes/no question per label, scored, not generated.

The prompt asks the model to answer every label on a line of its own ("billing: yes", "angry: no"); the examples
answer that way for each of their labels. For a new text, each label's two answers, "<label>: yes" and
"<label>: no", are scored as whole continuations after the prompt (core.contenders.llm_scoring.PrefixScorer), and
the label's probability is P(yes) / (P(yes) + P(no)): the label's own tokens are common to both and cancel, so
each label is asked on its own. No calibration: each label's threshold is tuned on validation rows (core.train),
which corrects a model that says "yes" too readily.
"""
from __future__ import annotations

import numpy as np


def system_turn(classes: list[str], task: str = "", descriptions: dict[str, str] | None = None) -> str:
    descriptions = descriptions or {}
    task = task.strip() or "Label the text; several labels, or none, may apply."
    lines = [f"- {c}" + (f": {descriptions[c]}" if descriptions.get(c) else "") for c in classes]
    return (f"{task}\nFor each of these labels, say whether it applies to the text, one line per label, in this "
            "order, as 'label: yes' or 'label: no':\n" + "\n".join(lines))


def answer(labels: list[str], classes: list[str]) -> str:
    """An example's answer: every label, yes or no."""
    return "\n".join(f"{c}: {'yes' if c in labels else 'no'}" for c in classes)


def candidates(classes: list[str]) -> list[str]:
    """The continuations scored for a text: each label's yes and its no, in that order."""
    return [f"{c}: {word}" for c in classes for word in ("yes", "no")]


def yes_probability(log_scores: np.ndarray) -> np.ndarray:
    """Each label's P(yes) from the summed log-probabilities of its yes and no continuations."""
    pairs = np.asarray(log_scores, dtype=float).reshape(-1, 2)
    return 1.0 / (1.0 + np.exp(np.clip(pairs[:, 1] - pairs[:, 0], -50, 50)))


def pick_examples(texts: list[str], sets: list[list[str]], classes: list[str], k: int, seed: int, diverse,
                  max_chars: int) -> list[tuple[str, str]]:
    """Up to k texts holding each label (varied, as the one-label prompt picks them: `diverse`), each used once,
    interleaved label by label, each answered for every label."""
    if k <= 0:
        return []
    holding = {c: diverse([t for t, s in zip(texts, sets, strict=True) if c in s], k, seed) for c in classes}
    of_text = {t: s for t, s in zip(texts, sets, strict=True)}
    out, used = [], set()
    for i in range(k):
        for c in classes:
            if i < len(holding[c]) and holding[c][i] not in used:
                used.add(holding[c][i])
                out.append((holding[c][i][:max_chars], answer(of_text[holding[c][i]], classes)))
    return out
