"""Chat answers a reader can trust: facts first, the model's words only where it can be relied on.

Asked "Explain my results", the embedded SmolLM2-135M wrote "the best model is the one with the most models ...
This is known as a fair-swallow bias" ten times over. So:
- questions about the results (which model, how often right, where it fails, cost, confidence) and about terms
  ("what is macro-F1?") are answered from facts Tunelab computed (core.recommend, core.report) and from its
  glossary (core.glossary), in the reader's language;
- a small model (under core.chat.base.SMALL_PARAMS) never replaces those answers with its own text: Tunelab writes them;
- a capable model (the operator's GGUF, a Hub model, an endpoint) is given them as context and may put them in
  its own words; its numbers are then checked against them (core.trust.facts);
- a question that names neither goes to the model, whose answer is cut at a repetition loop and at the length
  limit, back to a sentence end, and says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core import glossary
from core.chat.base import with_system
from core.i18n import N_, translator

TOPICS = {  # how people ask, lower case, English and Chinese
    "recommend": ("which model", "which one", "best", "recommend", "should i use", "should we use", "choose",
                  "pick", "winner", "deploy", "哪个模型", "推荐", "最好", "选择", "用哪"),
    "accuracy": ("how often", "how good", "how accurate", "accuracy", "right", "correct", "score", "perform",
                 "多准", "准确", "正确", "表现"),
    "mistakes": ("wrong", "mistake", "fail", "error", "weak", "confus", "worst", "struggle", "错", "混淆", "弱"),
    "cost": ("cost", "cheap", "expensive", "fast", "slow", "speed", "latency", "how long", "size", "成本", "速度",
             "快", "慢", "大小", "多久"),
    "confidence": ("confiden", "trust", "calibrat", "how sure", "置信", "可信", "校准"),
}


@dataclass
class ResultFacts:
    """Sentences about one evaluation, by topic; `text` is what the model is given and numbers are checked on."""

    topics: dict[str, list[str]]
    names: list[str] = field(default_factory=list)  # runs' and classes' names: a name said twice is not a loop

    def text(self) -> str:
        seen: list[str] = []
        for sentences in self.topics.values():
            seen += [s for s in sentences if s not in seen]
        return "\n".join(seen)


def result_facts(dash, lang: str = "en") -> ResultFacts | None:
    """The facts of a core.report Dashboard, in `lang` (None when it has no finished run)."""
    from core.report import recommended_row, summary_sentences  # put off: loads pandas, plotly (~0.6 s)

    pick = recommended_row(dash)
    if pick is None:
        return None
    _ = translator(lang)
    summary = summary_sentences(dash)
    # one sentence a topic, runs listed in it: a sentence a run repeated its words (a "loop" to the reader)
    groups: dict[tuple, list[str]] = {}  # runs with the same figures share them (said once, not once a run)
    for r in dash.rows:
        lo, hi = r["ci"]["accuracy"]
        key = (round(r["accuracy"] * r["n"]), f"{r['accuracy']:.0%}", f"{lo:.0%}", f"{hi:.0%}")
        groups.setdefault(key, []).append(_("the {name}", name=r["name"]))
    accuracy = _("Test texts right, of {n}: {runs}.", n=pick["n"], runs=_("; ").join(
        _("{names} {right} ({acc}; on new texts likely {lo} to {hi})", names=_(" and ").join(names), right=right,
          acc=acc, lo=lo, hi=hi) for (right, acc, lo, hi), names in groups.items()))
    cost = _cost(dash.rows, _)
    topics = {"recommend": [summary[0], *[t["sentence"] for t in dash.tests]], "accuracy": [accuracy],
              "mistakes": [summary[2]], "confidence": [summary[3]],
              "cost": [cost] if cost else []}
    classes = {c for ev in dash.evals.values() for c in ev["classes"]}
    return ResultFacts(topics, [r["name"] for r in dash.rows] + sorted(classes))


COST = (("seconds", N_("Training seconds"), "{:,.1f}"), ("texts_per_s", N_("texts labelled a second"), "{:,.0f}"),
        ("p50_ms", N_("milliseconds for one text"), "{:,.1f}"), ("size_mb", N_("size on disk in MB"), "{:,.1f}"))


def _cost(rows: list[dict], _) -> str:
    """'Training seconds: the TF-IDF baseline 1.6, the MiniLM embeddings 6.2; texts labelled a second: ...': a
    measure at a time, so no phrase is said once a run (what is not measured is left out)."""
    parts = []
    for key, label, fmt in COST:
        known = [(r["name"], r[key]) for r in rows if r.get(key) is not None]
        if known:
            parts.append(_("{measure}: {values}", measure=_(label), values=_(", ").join(
                _("the {name} {value}", name=n, value=fmt.format(v)) for n, v in known)))
    return (_("; ").join(parts) + _(".")) if parts else ""


def topics_of(question: str) -> list[str]:
    text = question.lower()
    return [t for t, words in TOPICS.items() if any(w in text for w in words)]


@dataclass
class Plan:
    """What to do with one question: an answer Tunelab writes (`answer`), or messages for the model."""

    answer: str | None
    messages: list[dict] | None
    facts: str  # what the model was given: the numbers of its answer are checked against it
    source: str  # "results", "glossary" or "model"
    told: str = ""  # the facts and definitions a capable model was asked to restate: shown beside its answer


def plan(question: str, turns: list[dict], facts: ResultFacts | None, small: bool, system: str,
         lang: str = "en", explain: bool = False) -> Plan:
    """Route one question (see the module's docstring). `turns` are the earlier messages; `explain` is the
    "Explain my results" button, which asks for every topic."""
    _ = translator(lang)
    entries = [] if explain else glossary.lookup(question, lang)
    topics = list(TOPICS) if explain else topics_of(question) if facts else []
    grounded: list[str] = []
    for sentence in [glossary.definition(e, lang) for e in entries] + \
            [s for t in topics for s in (facts.topics.get(t, []) if facts else [])]:
        if sentence not in grounded:
            grounded.append(sentence)
    facts_text = facts.text() if facts else ""
    source = "results" if topics and facts else "glossary"
    if grounded and small:
        return Plan(("\n\n" if explain else " ").join(grounded), None, facts_text, source)  # a paragraph a topic
    if grounded:
        context = _("Answer using only these facts, in your own words, briefly; add no number that is not in them:"
                    ) + "\n" + "\n".join(grounded)
        ask = _("Explain these results in three or four short sentences for a manager who does not know machine "
                "learning: which model to use, how often it is right, and where it goes wrong.") if explain \
            else question
        return Plan(None, with_system([*turns, {"role": "user", "content": ask}], system + "\n\n" + context),
                    "\n".join(grounded) + "\n" + facts_text, source, told="\n".join(grounded))
    context = ("\n\n" + _("What is known about the user's models:") + "\n" + facts_text) if facts_text else ""
    return Plan(None, with_system([*turns, {"role": "user", "content": question}], system + context), facts_text,
                "model")
