"""How a generative LLM labels a text without generating: every label's whole token sequence is scored.

The prompt is a chat: a system turn (the task and the labels), k examples per label as user/assistant turns, then
the text as the last user turn and the assistant's turn opened. Each label is scored by the sum of the model's
log-probabilities of all its tokens, so "abbreviation" and "about" (one first token) are told apart; where one
label's tokens begin another's ("spam", "spammy"; "ab", "abbreviation"), every label is closed by the end-of-turn
token, so the shorter one is scored as a whole answer. The scores are normalised into probabilities.

The prompt's shared prefix (instructions and examples) is run through the model once and its key/value cache kept;
each text then runs once (batch 1) on it; labels of one token are read from that single forward call, and only
longer labels' remaining tokens run in a second call, one row per such label (the cache repeated, then cropped
back). So a text costs its own tokens plus the labels' (SST-2's two one-token labels: one call per text).
"""
from __future__ import annotations

import math

import numpy as np

from core.errors import DataError


def system_turn(classes: list[str], task: str = "", descriptions: dict[str, str] | None = None) -> str:
    """What the model is told: the task (a default one when none is given) and the labels, one a line."""
    descriptions = descriptions or {}
    task = task.strip() or "Classify the text."
    lines = [f"- {c}" + (f": {descriptions[c]}" if descriptions.get(c) else "") for c in classes]
    return f"{task}\nAnswer with exactly one of these labels and nothing else:\n" + "\n".join(lines)


def described(text: str, classes: list[str]) -> dict[str, str]:
    """{label: description} from lines "label: what it means"; a line naming no label is refused in one sentence."""
    out = {}
    for line in (text or "").splitlines():
        label, sep, description = line.partition(":")
        if not line.strip():
            continue
        if not sep or label.strip() not in classes:
            raise DataError("The description line '{line}' does not start with one of the labels and a colon "
                            "(for example '{example}: what it means').", line=line.strip()[:80], example=classes[0])
        out[label.strip()] = description.strip()
    return out


def chat_parts(tokenizer, system: str, examples: list[tuple[str, str]]) -> tuple[str, callable, str]:
    """(prefix, text -> the rest of the prompt up to the answer, what closes an answer), as strings rendered
    with the model's own chat template; the prefix is checked to be a true prefix of every rendering."""
    messages = conversation(system, examples)

    def render(extra: list[dict], generation: bool) -> str:
        return tokenizer.apply_chat_template(messages + extra, tokenize=False, add_generation_prompt=generation)

    prefix = render([], False)
    marker = "\u2063LABEL\u2063"  # a label nobody writes: where the answer sits in a rendered turn
    answered = render([{"role": "user", "content": "x"}, {"role": "assistant", "content": marker}], False)
    close = answered.split(marker, 1)[1]  # the end-of-turn text after an answer ("<|im_end|>\n" in ChatML)

    def rest(text: str) -> str:
        full = render([{"role": "user", "content": _user(text)}], True)
        if not full.startswith(prefix):
            raise DataError("This model's chat template does not keep earlier turns as they are; pick another model.")
        return full[len(prefix):]

    return prefix, rest, close


def _user(text: str) -> str:
    return f"Text: {text}"


def conversation(system: str, examples: list[tuple[str, str]], text: str | None = None) -> list[dict]:
    """The prompt as chat messages: the system turn, each example as a user turn and the label as the assistant's
    answer, then the text to label (when given) as the last user turn."""
    messages = [{"role": "system", "content": system}]
    for example, label in examples:
        messages += [{"role": "user", "content": _user(example)}, {"role": "assistant", "content": label}]
    return messages + ([{"role": "user", "content": _user(text)}] if text is not None else [])


def encode(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def label_ids(tokenizer, classes: list[str], close: str, always_close: bool = False) -> list[list[int]]:
    """Each label's tokens, closed by the tokens that end an answer where one label's tokens begin another's (or
    `always_close`: LoRA learns to stop); refused when two labels encode the same, or one encodes to nothing."""
    ids = [encode(tokenizer, c) for c in classes]
    unreadable = [c for c, i in zip(classes, ids, strict=True) if not i or i.count(tokenizer.unk_token_id) > 0]
    if unreadable:
        raise DataError("This model cannot write the label '{label}' (its tokenizer has no tokens for it); rename "
                        "the label or pick another model.", label=unreadable[0][:80])
    if len({tuple(i) for i in ids}) < len(ids):
        raise DataError("Two labels look the same to this model's tokenizer; rename one of them.")
    begins = any(a != b and b[:len(a)] == a for a in ids for b in ids)
    if always_close or begins:
        end = encode(tokenizer, close.rstrip("\n") or close)
        ids = [i + end for i in ids]
    return ids


class PrefixScorer:
    """Scores label sequences after [prefix + text]: the prefix's key/value cache is computed once; each text runs
    once (batch 1), then only the labels' tokens run, one row per label, on copies of that cache."""

    def __init__(self, model, prefix: list[int], labels: list[list[int]], pad_id: int, context: int = 2048):
        import torch  # put off: loads torch (~1.8 s)

        self.torch, self.model, self.labels, self.pad_id = torch, model, labels, pad_id
        self.device = next(model.parameters()).device
        self.prefix_len = len(prefix)
        # a text is cut to what fits after the prefix and before the longest label
        self.max_text = max(1, context - self.prefix_len - max(map(len, labels)) - 1)
        with torch.inference_mode():
            self.cache = model(input_ids=torch.tensor([prefix], device=self.device), use_cache=True).past_key_values

    def log_scores(self, text_ids: list[int]) -> np.ndarray:
        """Sum of log-probabilities of each label's tokens after the prefix and `text_ids`."""
        torch = self.torch
        text_ids = text_ids[-self.max_text:]  # the end holds the answer cue: cut from the start
        longer = [j for j, lab in enumerate(self.labels) if len(lab) > 1]  # labels with tokens after the first
        longest = max(len(lab) for lab in self.labels)
        # right padding needs no mask: a causal model's logits before a pad never see it, and none after are read
        rows = torch.tensor([self.labels[j] + [self.pad_id] * (longest - len(self.labels[j])) for j in longer],
                            device=self.device)
        rest = {}
        try:
            with torch.inference_mode():
                out = self.model(input_ids=torch.tensor([text_ids], device=self.device), past_key_values=self.cache,
                                 use_cache=True)
                first = torch.log_softmax(out.logits[0, -1].float(), -1)  # predicts every label's first token
                if longer:
                    self.cache.batch_repeat_interleave(len(longer))
                    logp = torch.log_softmax(self.model(input_ids=rows, past_key_values=self.cache,
                                                        use_cache=True).logits.float(), -1)
                    rest = dict(zip(longer, logp, strict=True))
        finally:  # back to the prefix alone, batch 1, for the next text (transformers 5 crops by a negative count)
            extra = self.cache.get_seq_length() - self.prefix_len
            if extra > 0:
                self.cache.crop(-extra)
            if self.cache.layers[0].keys.shape[0] > 1:  # repeated for the labels: one row back
                self.cache.batch_select_indices(torch.tensor([0], device=self.device))
        return np.array([float(first[lab[0]]) + sum(float(rest[j][k - 1, tok]) for k, tok in enumerate(lab) if k)
                         for j, lab in enumerate(self.labels)])


def whole_log_scores(model, prompt_ids: list[int], labels: list[list[int]]) -> np.ndarray:
    """The same scores without any cache: each [prompt + label] scored whole (the reference in tests)."""
    import torch  # put off: loads torch (~1.8 s)

    out = []
    for lab in labels:
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prompt_ids + lab])).logits.float()[0]
        logp = torch.log_softmax(logits, -1)
        out.append(sum(float(logp[len(prompt_ids) + k - 1, tok]) for k, tok in enumerate(lab)))
    return np.array(out)


def normalise(log_scores: np.ndarray) -> np.ndarray:
    """Label probabilities from summed log-probabilities (a softmax over the labels)."""
    z = log_scores - log_scores.max()
    p = np.exp(z)
    return p / p.sum()


def calibrated(proba: np.ndarray, content_free: np.ndarray | None) -> np.ndarray:
    """Contextual calibration (Zhao et al. 2021, "Calibrate before use"): divide out the label probabilities the
    prompt gives a content-free text, then renormalise each row."""
    if content_free is None:
        return proba
    out = proba / np.clip(content_free, 1e-12, None)
    return out / out.sum(axis=1, keepdims=True)


def macro_f1(y_true: list[str], proba: np.ndarray, classes: list[str]) -> float:
    """Macro-F1 of the argmax predictions (numpy only: the LLM contender keeps scikit-learn out of its path)."""
    pred = [classes[i] for i in proba.argmax(1)]
    scores = []
    for c in classes:
        tp = sum(p == c and t == c for p, t in zip(pred, y_true, strict=True))
        fp = sum(p == c and t != c for p, t in zip(pred, y_true, strict=True))
        fn = sum(p != c and t == c for p, t in zip(pred, y_true, strict=True))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else math.nan


def calibration_losses(y_true: list[str], proba: np.ndarray, content_free: np.ndarray, classes: list[str],
                       seed: int = 0, resamples: int = 200) -> float:
    """The share of bootstrap resamples of the validation rows on which contextual calibration lowers macro-F1: a
    gain on 100-200 rows can be luck (SST-2, 100 rows: kept for +0.02 validation macro-F1, then 7 points lower on
    the test rows), so a gain that loses often is not kept."""
    index = {c: i for i, c in enumerate(classes)}
    truth = np.array([index[t] for t in y_true])
    plain, fixed = proba.argmax(1), calibrated(proba, content_free).argmax(1)
    rng, k, losses = np.random.default_rng(seed), len(classes), 0
    for _ in range(resamples):
        rows = rng.integers(0, len(truth), len(truth))
        losses += _macro_f1_idx(truth[rows], fixed[rows], k) < _macro_f1_idx(truth[rows], plain[rows], k)
    return losses / resamples


def _macro_f1_idx(truth: np.ndarray, pred: np.ndarray, k: int) -> float:
    tp = np.bincount(truth[truth == pred], minlength=k)
    fp, fn = np.bincount(pred, minlength=k) - tp, np.bincount(truth, minlength=k) - tp
    return float(np.mean(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)))
