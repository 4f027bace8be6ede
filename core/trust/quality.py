"""Can we trust the data? Labels that look wrong, and other label problems.

`check_labels(df)` takes cleaned rows (text, label, row) and returns a `LabelReport`:
- suspicious labels: out-of-fold probabilities (5 folds) from the TF-IDF baseline and
  from frozen sentence embeddings + logistic regression, averaged, then cleanlab's
  `find_label_issues(filter_by="both")`, ranked worst first with cleanlab's quality score
  (measured here: TF-IDF alone 0.55 precision / 0.87 recall on flipped labels, the
  average 0.65 / 0.87);
- conflicts: the same text (ignoring case, spacing and punctuation) under different labels;
- leakage: such texts in both the train and the test split training would use;
- classes too small to learn (under 5 rows).
Rows are named by `row`, their 0-based position among the file's data rows.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core import labelsets
from core.contenders.base import check_stop, fit_logistic, is_sets, linear_proba
from core.contenders.embeddings import SentenceEncoder
from core.data.cleaning import split_dataset
from core.i18n import translator
from core.trust.quality_sets import set_issues

FOLDS = 5
SMALL_CLASS = 5  # fewer rows than this: too few to learn, and too few for 5 folds


@dataclass
class LabelReport:
    rows: int
    issues: list[dict] = field(default_factory=list)  # row, text, given, suggested, confidence, score
    conflicts: list[dict] = field(default_factory=list)  # text, labels: {label: [rows]}
    leakage: list[dict] = field(default_factory=list)  # text, train_rows, test_rows
    small_classes: dict[str, int] = field(default_factory=dict)
    method: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self) -> str:
        """One plain sentence for the CLI's report (the Data page makes it from the counts, in its language)."""
        return verdict(self.rows, len(self.issues))


def verdict(rows: int, issues: int, lang: str = "en") -> str:
    """How many labels look wrong, in one plain sentence in `lang` (from a saved report's counts)."""
    _ = translator(lang)
    if not issues:
        return _("None of the {rows:,} labels looks wrong to the models.", rows=rows)
    return _("About {share:.0%} of the labels look wrong ({issues:,} of {rows:,}); here they are, most likely first.",
             share=issues / max(1, rows), issues=issues, rows=rows)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", str(text).lower()).split())


def out_of_fold_proba(texts: list[str], labels: list[str], classes: list[str], *, use_embeddings: bool = True,
                      seed: int = 0, on_progress=None, should_stop=None) -> np.ndarray:
    """Each row's class probabilities from models that never saw it (TF-IDF, and embeddings when asked), averaged."""
    from sklearn.model_selection import KFold, StratifiedKFold  # put off: loads scipy, sklearn (~1.5 s)

    from core.contenders.baseline import TfidfClassifier  # put off: loads scipy (~0.3 s)

    sets = is_sets(labels)  # label sets do not stratify; a fold may then lack a label (its column stays 0)
    y = list(labels)
    splitter = KFold if sets else StratifiedKFold
    folds = list(splitter(n_splits=FOLDS, shuffle=True, random_state=seed).split(texts, None if sets else y))
    total = len(folds) * (2 if use_embeddings else 1) + (1 if use_embeddings else 0)
    step = _counter(on_progress, total)
    tfidf = np.zeros((len(texts), len(classes)))
    for train, held in folds:
        check_stop(should_stop)
        model = TfidfClassifier(seed=seed).fit([texts[i] for i in train], [y[i] for i in train])
        columns = [classes.index(c) for c in model.classes_]
        tfidf[np.ix_(held, columns)] = model.predict_proba([texts[i] for i in held])
        step()
    if not use_embeddings:
        return tfidf

    features = SentenceEncoder().encode(texts, should_stop=should_stop)
    step()
    emb = np.zeros_like(tfidf)
    for train, held in folds:
        check_stop(should_stop)
        coef, intercept = fit_logistic(features[train], [y[i] for i in train], classes, C=10.0, seed=seed)
        emb[held] = linear_proba(features[held], coef, intercept, multi_label=sets)
        step()
    return (tfidf + emb) / 2


def _counter(on_progress, total: int):
    done = [0]

    def step():
        done[0] += 1
        if on_progress:
            on_progress({"event": "step", "step": done[0], "total_steps": total})
    return step


def check_labels(df: pd.DataFrame, *, use_embeddings: bool = True, seed: int = 0, on_progress=None,
                 should_stop=None) -> LabelReport:
    """The LabelReport of cleaned rows (see the module docstring)."""
    from cleanlab.filter import find_label_issues  # put off: loads cleanlab, datasets, huggingface_hub (~3.9 s)
    from cleanlab.rank import get_label_quality_scores  # put off: loads cleanlab, datasets, huggingface_hub (~3.0 s)

    rows = df["row"].to_numpy() if "row" in df else np.arange(len(df))
    if labelsets.is_multi(df["label"].head(50)):
        return _check_sets(df, rows, use_embeddings, seed, on_progress, should_stop)
    counts = df["label"].value_counts()
    report = LabelReport(rows=len(df), small_classes={str(k): int(v) for k, v in counts.items() if v < SMALL_CLASS},
                         method="TF-IDF" + (" + embeddings" if use_embeddings else "") + ", 5-fold, cleanlab")
    report.conflicts, report.leakage = _conflicts(df, rows), _leakage(df, rows)
    keep = ~df["label"].isin(report.small_classes).to_numpy()
    sub = df[keep]
    classes = sorted(sub["label"].unique())
    if len(classes) < 2:
        return report
    texts, labels = sub["text"].tolist(), sub["label"].tolist()
    proba = out_of_fold_proba(texts, labels, classes, use_embeddings=use_embeddings, seed=seed,
                              on_progress=on_progress, should_stop=should_stop)
    y = np.array([classes.index(v) for v in labels])
    # n_jobs=1: cleanlab's default forks a process pool, which deadlocked intermittently after threads had started
    ranked = find_label_issues(y, proba, filter_by="both", return_indices_ranked_by="self_confidence", n_jobs=1)
    scores = get_label_quality_scores(y, proba)
    sub_rows = rows[keep]
    report.issues = [{"row": int(sub_rows[i]), "text": texts[i], "given": labels[i],
                      "suggested": classes[int(proba[i].argmax())], "confidence": round(float(proba[i].max()), 4),
                      "score": round(float(scores[i]), 4)} for i in ranked]
    return report


def _check_sets(df: pd.DataFrame, rows: np.ndarray, use_embeddings: bool, seed: int, on_progress,
                should_stop) -> LabelReport:
    """check_labels for texts with several labels (core.trust.quality_sets); labels on under 5 texts are left out
    of the models, as small classes are."""
    counts = labelsets.counts(df["label"])
    report = LabelReport(rows=len(df), small_classes={k: v for k, v in counts.items() if v < SMALL_CLASS},
                         method="TF-IDF" + (" + embeddings" if use_embeddings else "") + ", 5-fold, cleanlab multi-label")
    report.conflicts, report.leakage = _conflicts(df, rows), _leakage(df, rows)
    classes = sorted(k for k in counts if k not in report.small_classes)
    if len(classes) < 2 or len(df) < 2 * FOLDS:
        return report
    texts = df["text"].tolist()
    sets = [[x for x in labelsets.decode(v) if x in classes] for v in df["label"]]
    proba = out_of_fold_proba(texts, sets, classes, use_embeddings=use_embeddings, seed=seed,
                              on_progress=on_progress, should_stop=should_stop)
    report.issues = set_issues(texts, sets, classes, proba, rows)
    return report


def _conflicts(df: pd.DataFrame, rows: np.ndarray) -> list[dict]:
    out = []
    keys = df["text"].map(_normal)
    for key, idx in keys.groupby(keys).indices.items():
        labels = df["label"].iloc[idx]
        if key and labels.nunique() > 1:
            out.append({"text": str(df["text"].iloc[idx[0]]),
                        "labels": {str(lab): [int(rows[i]) for i, v in zip(idx, labels, strict=False) if v == lab]
                                   for lab in sorted(set(labels))}})
    return out


def _leakage(df: pd.DataFrame, rows: np.ndarray) -> list[dict]:
    """Texts (normalised) in both the train and the test split that training would make."""
    frame = df.assign(_pos=np.arange(len(df)))
    split = split_dataset(frame)
    train = {}
    for pos in split.train["_pos"]:
        train.setdefault(_normal(df["text"].iloc[pos]), []).append(int(rows[pos]))
    out = {}
    for pos in split.test["_pos"]:
        key = _normal(df["text"].iloc[pos])
        if key in train:
            item = out.setdefault(key, {"text": str(df["text"].iloc[pos]), "train_rows": train[key], "test_rows": []})
            item["test_rows"].append(int(rows[pos]))
    return list(out.values())


def fixed_table(raw: pd.DataFrame, label_col: str, report: LabelReport) -> pd.DataFrame:
    """The file's own table with each flagged row's label replaced by the suggestion; nothing else changed."""
    fixed = raw.copy()
    for issue in report.issues:
        fixed.iat[issue["row"], fixed.columns.get_loc(label_col)] = issue["suggested"]
    return fixed
