"""core.chat.grounded and core.chat.loops: who writes a chat answer, and answers cut at a loop."""
from __future__ import annotations

from core.chat.base import ChatEngine, ChatParams
from core.chat.grounded import ResultFacts, plan
from core.chat.loops import finish, loop_start
from core.glossary import ENTRIES, lookup

FACTS = ResultFacts({"recommend": ["The TF-IDF baseline is the sensible choice: as accurate as the embeddings."],
                     "accuracy": ["The TF-IDF baseline gets 72 of the 77 test texts right (94%)."],
                     "mistakes": ["It is weakest on 'billing'."], "cost": ["The TF-IDF baseline trained in 2.0 seconds."],
                     "confidence": ["Its confidence scores can be taken at face value."]}, ["TF-IDF baseline"])
LOOP = ("The best model is the one with the most models. This is known as a fair-swallow bias. "
        "This bias is known as fairness bias. This bias is known as fairness bias. This bias is known as fairness bias. "
        "This bias is known as fairness")


def test_a_small_model_never_writes_the_answer_about_results_or_terms():
    p = plan("Which model should I use and why?", [], FACTS, small=True, system="sys")
    assert p.messages is None and p.source == "results"
    assert p.answer.startswith("The TF-IDF baseline is the sensible choice")
    p = plan("What is macro-F1?", [], FACTS, small=True, system="sys")
    assert p.answer.startswith("Macro-F1: the F1 score of each class, averaged") and p.source == "glossary"
    p = plan("", [], FACTS, small=True, system="sys", explain=True)
    assert all(s in p.answer for sentences in FACTS.topics.values() for s in sentences)


def test_a_capable_model_gets_the_facts_as_context_and_the_users_question():
    p = plan("How often is it right?", [{"role": "user", "content": "hi"}], FACTS, small=False, system="sys")
    assert p.answer is None and p.messages[0]["role"] == "system"
    assert "72 of the 77" in p.messages[0]["content"] and "add no number" in p.messages[0]["content"]
    assert p.messages[-1] == {"role": "user", "content": "How often is it right?"} and "72 of the 77" in p.facts
    assert "72 of the 77" in p.told  # shown beside the model's answer, so it is never the only source


def test_a_question_that_names_nothing_goes_to_the_model_even_a_small_one():
    p = plan("Say hello in three words.", [], None, small=True, system="sys")
    assert p.answer is None and p.source == "model" and p.messages[-1]["content"] == "Say hello in three words."


def test_the_glossary_finds_terms_in_both_languages():
    assert [e.key for e in lookup("what does macro-F1 mean?")][0] == "macro_f1"
    assert [e.key for e in lookup("什么是宏 F1？", "zh")][0] == "macro_f1"
    assert lookup("Say hello in three words.") == []
    assert len({e.key for e in ENTRIES}) == len(ENTRIES) >= 20


def test_a_loop_is_found_where_it_starts_and_cut_back_to_a_sentence():
    start = loop_start(LOOP)
    # "bias. This bias is known as fairness" was first written after "fair-swallow": the loop begins where it recurs
    assert start is not None and LOOP[start:].startswith("bias. This bias is known as fairness bias. This bias")
    text, note = finish(LOOP, "loop")
    assert text == "The best model is the one with the most models. This is known as a fair-swallow bias." \
        and "repeating" in note
    assert loop_start("The TF-IDF baseline is good. " * 2) is None  # said twice is not a loop
    assert loop_start("TF-IDF baseline · demo · Dec 1 is the one. TF-IDF baseline · demo · Dec 1 wins. "
                      "TF-IDF baseline · demo · Dec 1 costs least.", ignore=["TF-IDF baseline · demo · Dec 1"]) is None
    assert loop_start("的模型是最好的。" * 3) is not None  # Chinese: characters are tokens


def test_an_answer_cut_at_the_length_limit_ends_at_a_sentence_and_says_so():
    text, note = finish("It is right 94% of the time. It is weakest on bill", "length")
    assert text == "It is right 94% of the time." and "length limit" in note
    assert finish("A whole answer.", None) == ("A whole answer.", None)


class Looping(ChatEngine):
    label, params = "tiny", 135_000_000

    def _pieces(self, messages, params):
        for word in LOOP.split(" ") * 5:
            yield word + " "


def test_the_engine_stops_a_looping_model_and_sets_a_repetition_penalty_for_small_ones():
    engine = Looping()
    text = "".join(engine.stream([{"role": "user", "content": "explain"}], ChatParams(max_tokens=1000)))
    assert engine.last_stats.cut == "loop" and engine.last_stats.tokens < 60 and len(text) < len(LOOP)
    assert engine.small and engine.repeat_penalty(ChatParams()) == 1.3
    big = Looping()
    big.params = 7_000_000_000
    assert not big.small and big.repeat_penalty(ChatParams()) == 1.0
