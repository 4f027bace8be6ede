"""Every metric and setting in one plain line, in the reader's language: help on the Train and Evaluate
widgets, the Glossary page, and the chat's context (so even a 135M-parameter model quotes a correct
definition: it is given the entry rather than asked to recall one).

An entry's `words` are how people ask about it, in English and Chinese, lower case; `lookup` finds the entries
a question names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import N_, translator


@dataclass(frozen=True)
class Entry:
    key: str
    term: str  # a message id: the term as the interface writes it
    line: str  # a message id: one plain sentence
    words: tuple[str, ...]  # how a question names it (lower case; English and Chinese)


ENTRIES = [
    Entry("accuracy", N_("accuracy"), N_("The share of test texts the model labels correctly: 0.9 means 9 in 10."),
          ("accuracy", "accurate", "准确率", "正确率")),
    Entry("macro_f1", N_("macro-F1"), N_("The F1 score of each class, averaged with every class counting the "
                                         "same, so a rare class that the model gets wrong pulls it down."),
          ("macro-f1", "macro f1", "macro_f1", "macrof1", "宏平均", "宏f1")),
    Entry("micro_f1", N_("micro-F1"), N_("For texts with several labels: F1 over every label decision pooled, so "
                                         "common labels weigh more; the headline score when labels are sets."),
          ("micro-f1", "micro f1", "micro_f1", "微平均")),
    Entry("exact_match", N_("exact match"), N_("For texts with several labels: the share of texts whose every label "
                                               "is right, none missing and none added; strict, so it reads lower."),
          ("exact match", "subset accuracy", "完全匹配")),
    Entry("threshold", N_("threshold"), N_("The probability a label needs to be given: higher flags fewer texts and "
                                           "is right more often, lower misses fewer."),
          ("threshold", "cut-off", "cutoff", "阈值")),
    Entry("f1", N_("F1"), N_("For one class, the balance of precision and recall (their harmonic mean): high only "
                             "when both are high."), ("f1", "f-score", "f score", "f1分数")),
    Entry("precision", N_("precision"), N_("Of the texts the model gave a label, the share that really have it."),
          ("precision", "精确率", "查准率")),
    Entry("recall", N_("recall"), N_("Of the texts that really have a label, the share the model found."),
          ("recall", "召回率", "查全率")),
    Entry("ci", N_("95% confidence interval"), N_("The range the score would likely fall in on new texts like "
                                                  "these; a small test set gives a wide range."),
          ("confidence interval", " ci", "置信区间")),
    Entry("calibration", N_("calibration error"), N_("How far the model's confidence is from how often it is "
                                                     "right: 90% sure should mean right 9 times in 10. Lower is "
                                                     "better."), ("calibration", "ece", "校准")),
    Entry("roc", N_("ROC curve"), N_("For one class, how many of its texts are caught against how many others are "
                                     "wrongly flagged, at every threshold; the area under it (AUC) is 1 for a "
                                     "perfect model and 0.5 for guessing."), ("roc", "auc", "roc曲线")),
    Entry("pr", N_("precision-recall curve"), N_("For one class, precision against recall at every threshold; "
                                                 "useful when the class is rare."),
          ("precision-recall", "pr curve", "精确率-召回率")),
    Entry("confusion", N_("confusion matrix"), N_("A table of true labels against predicted labels: the diagonal "
                                                  "is right, every other cell a kind of mistake."),
          ("confusion matrix", "confusion", "混淆矩阵")),
    Entry("p_value", N_("p-value"), N_("How likely a gap this large would be if the two models were really equal: "
                                       "below 0.05, the gap is unlikely to be luck."),
          ("p-value", "p value", "p =", "significan", "luck", "p值", "显著")),
    Entry("mcnemar", N_("McNemar's test"), N_("Compares two models on the same test texts by counting the texts "
                                              "only one of them gets right."), ("mcnemar", "麦克尼马尔")),
    Entry("epochs", N_("epochs"), N_("How many times training goes through all the training texts; more can "
                                     "learn more, and can also memorise."), ("epoch", "轮数", "训练轮")),
    Entry("learning_rate", N_("learning rate"), N_("How big a step the model takes each time it learns from a "
                                                   "batch; too big is unstable, too small is slow."),
          ("learning rate", " lr", "学习率")),
    Entry("batch_size", N_("batch size"), N_("How many texts the model learns from at once."),
          ("batch size", "batch", "批大小", "批次")),
    Entry("max_tokens", N_("max tokens"), N_("The longest text the model reads, in word pieces; longer texts are "
                                             "cut. Shorter is faster."), ("max tokens", "token", "最大词元", "词元")),
    Entry("max_rows", N_("max rows"), N_("At most this many training texts are used (a random sample), to keep "
                                         "training quick; 0 uses them all."), ("max rows", "最大行数")),
    Entry("uncertainty", N_("uncertainty"), N_("How unsure the models are about a text (high when the top two "
                                               "labels are close or the models disagree): labelling those first "
                                               "teaches the most."), ("uncertain", "不确定")),
    Entry("test_rows", N_("test rows"), N_("Texts kept aside that no model trains on; every score is measured on "
                                           "them, so it predicts how the model does on new texts."),
          ("test row", "test set", "held-out", "测试")),
    Entry("validation", N_("validation rows"), N_("Texts kept aside from training and used during it to pick the "
                                                  "best moment to stop."), ("validation", "验证")),
    Entry("baseline", N_("TF-IDF baseline"), N_("A fast classic model that weighs words by how telling they are; "
                                                "trains in seconds and is the bar the others must beat."),
          ("tf-idf", "tfidf", "baseline", "基线")),
    Entry("embeddings", N_("embeddings"), N_("A pretrained model turns each text into numbers that capture its "
                                             "meaning; a simple classifier then learns from those numbers."),
          ("embedding", "嵌入")),
    Entry("finetune", N_("fine-tuning"), N_("Training a pretrained Transformer further on your texts, so all its "
                                            "layers adapt to your labels; slower, often the most accurate."),
          ("fine-tun", "finetun", "transformer", "微调")),
    Entry("speed", N_("texts per second"), N_("How many texts the model labels each second on this machine, "
                                              "measured on its test rows; the p50 latency is the time for one "
                                              "text, half of them faster."), ("texts/s", "per second", "latency",
                                                                              "p50", "speed", "fast", "速度", "延迟")),
    Entry("few_shot", N_("examples per label (few-shot)"), N_("How many labelled texts a prompted language model "
                                                             "is shown for each label before it labels a text; 0 "
                                                             "asks it cold (zero-shot). Nothing is trained."),
          ("few-shot", "few shot", "zero-shot", "zero shot", "shots", "examples per label", "少样本", "零样本")),
    Entry("contextual_calibration", N_("contextual calibration"), N_("A correction for a prompted model's lean "
                                                                     "towards some labels, measured on empty texts; "
                                                                     "kept only when it makes the model more "
                                                                     "accurate on the validation texts, by more than luck would."),
          ("contextual calibration", "calibrate before use", "上下文校准")),
    Entry("tokens", N_("tokens per text"), N_("The pieces of words a language model reads and writes to label one "
                                              "text, its instructions and examples included. A server that is paid "
                                              "for bills by them: the price per million tokens times the tokens "
                                              "gives the cost per 1,000 texts."),
          ("token", "tokens", "price", "dollar", "$", "cost per 1,000", "词元", "价格")),
]
BY_KEY = {e.key: e for e in ENTRIES}


def help_text(key: str, lang: str = "en") -> str:
    """The entry's one line, for a widget's help."""
    return translator(lang)(BY_KEY[key].line)


def lookup(question: str, lang: str = "en", limit: int = 3) -> list[Entry]:
    """The entries a question names (its words, or the term in the reader's language), longest match first."""
    _ = translator(lang)
    text = " " + re.sub(r"\s+", " ", question.lower()) + " "
    found = []
    for e in ENTRIES:
        names = [w for w in e.words] + [_(e.term).lower()]
        hit = max((len(w) for w in names if w.strip() and w in text), default=0)
        if hit:
            found.append((hit, e))
    found.sort(key=lambda he: -he[0])
    return [e for _, e in found[:limit]]


def definition(entry: Entry, lang: str = "en") -> str:
    """'Macro-F1: the F1 score of each class, ...' in `lang`."""
    _ = translator(lang)
    term, line = _(entry.term), _(entry.line)
    if lang == "en":  # "Macro-F1: the F1 score ..." (Chinese has no case)
        term, line = term[:1].upper() + term[1:], line[:1].lower() + line[1:]
    return _("{term}: {line}", term=term, line=line)
