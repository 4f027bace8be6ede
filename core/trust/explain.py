"""Why did the model say that? A weight per word, for every contender.

`explain(model, text, target=None)` returns the predicted label, its probability and,
for `target` (the predicted label by default), a weight per word: positive pushes
towards the target, negative away from it. Explaining is part of the contender contract
(core.contenders.base): `model.explain(text, target)` calls `explain_with` here with the
contender's own `word_weights`, so each contender explains itself in its own module:

- "occlusion" (every contender's default, and anything else with `predict_proba`, such as
  an ONNX export): the drop in the target's probability when the word is left out, all
  variants scored in one batch.
- "tfidf" (the baseline, core.contenders.baseline): exact contributions of a linear model
  over TF-IDF n-grams, each n-gram shared among the words it covers; the weights sum to
  the target's score (its logit without the intercept) exactly.
- "integrated_gradients" (the fine-tune, core.contenders.finetune): Integrated Gradients on
  the input embeddings, word pieces summed into words; `completeness_gap` says how far the
  sum is from the logit difference to an all-padding input.

What is shared lives here: cutting text into words, spreading the weights of pieces (word
pieces, n-grams) over the words they cover, occlusion, and the faithfulness measure.

"Words" are runs of letters or digits, Chinese words (jieba's segmentation), single characters of
other CJK scripts, and single punctuation marks, with their character spans, so a page can highlight
them in the original text.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from core.errors import DataError
from core.i18n import translator

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W_])+(?:['’](?:(?![{_CJK}])[^\W_])+)*|\S")
HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass
class Explanation:
    """One text's explanation; `words` are {"word", "start", "end", "weight"} in text order."""

    label: str
    confidence: float
    target: str
    method: str
    words: list[dict] = field(default_factory=list)
    completeness_gap: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def top(self, n: int = 3) -> list[dict]:
        """The n words that weighed most, either way."""
        return sorted(self.words, key=lambda w: -abs(w["weight"]))[:n]


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) for every word and punctuation mark of `text`. Chinese has no spaces: its runs of Han
    characters are cut into words by jieba's dictionary (rjieba), so "包裹" weighs as one word, not as 包 and 裹;
    other CJK scripts go a character at a time."""
    out, pos = [], 0
    for run in HAN_RUN.finditer(text):
        out += [(m.group(), pos + m.start(), pos + m.end()) for m in TOKEN.finditer(text[pos:run.start()])]
        out += [(w, run.start() + s, run.start() + e) for w, s, e in _segment(run.group())]
        pos = run.end()
    return out + [(m.group(), pos + m.start(), pos + m.end()) for m in TOKEN.finditer(text[pos:])]


def _segment(han: str) -> list[tuple[str, int, int]]:
    import rjieba  # loads its dictionary once, ~0.1 s

    return [(w, s, e) for w, s, e in rjieba.tokenize(han)]


def explain(model, text: str, target: str | None = None) -> Explanation:
    """Explain `model`'s prediction for `text` (see the module docstring): its own `explain` when it has one
    (every contender does), occlusion for anything else that has `predict_proba` and `classes_`."""
    if hasattr(model, "explain"):
        return model.explain(text, target)
    return explain_with(model, text, target, lambda text, spans, t: occlusion(model, text, spans, t), "occlusion")


def explain_with(model, text: str, target: str | None, weigh, method: str) -> Explanation:
    """The prediction, the words, and `weigh(text, spans, target_index) -> (weights, completeness_gap)`."""
    text = str(text)
    proba = np.asarray(model.predict_proba([text]))[0]
    classes = list(model.classes_)
    label = classes[int(proba.argmax())]
    target = label if target is None else str(target)
    if target not in classes:
        raise DataError("'{label}' is not one of this model's labels ({labels}).", label=target, labels=", ".join(classes))
    spans = tokens(text)
    weights, gap = weigh(text, spans, classes.index(target)) if spans else ([], None)
    words = [{"word": w, "start": s, "end": e, "weight": float(x)} for (w, s, e), x in zip(spans, weights, strict=True)]
    if getattr(model, "multi_label_", False):  # each label stands alone: its own probability, its own reasons
        return Explanation(target, float(proba[classes.index(target)]), target, method, words, gap)
    return Explanation(label, float(proba.max()), target, method, words, gap)


def occlusion(model, text: str, spans, t: int):
    """Probability drop of the target when each word is left out (one batch for all words)."""
    variants = [text] + [(text[:s] + text[e:]).strip() or " " for _, s, e in spans]
    proba = np.asarray(model.predict_proba(variants))[:, t]
    return proba[0] - proba[1:], None


def spread(spans, pieces) -> np.ndarray:
    """Word weights from pieces' weights: each (start, end, weight) piece of the text (a word piece, an n-gram) is
    shared among the words it overlaps, in proportion to the characters they share; nothing is lost."""
    weights = np.zeros(len(spans))
    starts, ends = np.array([s for _, s, _ in spans]), np.array([e for _, _, e in spans])
    for s, e, w in pieces:
        overlap = np.clip(np.minimum(ends, e) - np.maximum(starts, s), 0, None)
        if overlap.sum() > 0:
            weights += w * overlap / overlap.sum()
    return weights


def comprehensiveness(model, text: str, ex: Explanation, rng, share: float = 0.2, draws: int = 5):
    """Faithfulness (ERASER comprehensiveness, DeYoung et al. 2020): (the drop in the predicted label's probability
    when the top `share` of words, at least one, are deleted; the mean drop for as many random words)."""
    words = ex.words
    k = max(1, round(share * len(words)))
    top = sorted(words, key=lambda w: -w["weight"])[:k]
    random_sets = [[words[i] for i in rng.choice(len(words), k, replace=False)] for _ in range(draws)]
    variants = [text, _without(text, top)] + [_without(text, d) for d in random_sets]
    p = np.asarray(model.predict_proba(variants))[:, list(model.classes_).index(ex.label)]
    return float(p[0] - p[1]), float(np.mean(p[0] - p[2:]))


def _without(text: str, words: list[dict]) -> str:
    for w in sorted(words, key=lambda w: -w["start"]):
        text = text[:w["start"]] + text[w["end"]:]
    return " ".join(text.split()) or " "


def highlight_html(text: str, ex: Explanation) -> str:
    """The text with each word tinted by its weight (green towards the target, red away,
    stronger for heavier words; the weight on hover). Every piece of the text is
    HTML-escaped, so a `<script>` in it is shown, never run."""

    peak = max((abs(w["weight"]) for w in ex.words), default=0.0) or 1.0
    out, pos = [], 0
    for w in ex.words:
        out.append(html.escape(text[pos:w["start"]]))
        alpha = min(1.0, abs(w["weight"]) / peak) * 0.75
        rgb = "18,184,134" if w["weight"] >= 0 else "250,82,82"
        out.append(f'<span title="{w["weight"]:+.4f}" style="background:rgba({rgb},{alpha:.2f});'
                   f'border-radius:3px;padding:0 1px">{html.escape(text[w["start"]:w["end"]])}</span>')
        pos = w["end"]
    out.append(html.escape(text[pos:]))
    return "<div style='line-height:1.9;white-space:pre-wrap'>" + "".join(out) + "</div>"


def top_words_sentence(ex: Explanation, n: int = 3, lang: str = "en") -> str:
    """'Weighed most for 'refund': "refund" (for), "late" (for), "thanks" (against).' Plain text, in `lang`."""
    _ = translator(lang)
    parts = [_('"{word}" (for)', word=w["word"]) if w["weight"] >= 0 else _('"{word}" (against)', word=w["word"])
             for w in ex.top(n)]
    return _("Weighed most for '{label}': {words}.", label=ex.target, words=_(", ").join(parts)) if parts else \
        _("No words to weigh.")
