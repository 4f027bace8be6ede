"""From a raw table to clean (text, label) rows, a report and a split.

`load_dataset(source)` is the one call pages and the CLI make: read, guess the
columns (overridable), clean, and describe what happened in a `CleanReport`
whose numbers a non-technical user can read. `split_dataset` is stratified and
seeded, and copes with classes too small to stratify.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import labelsets
from core.data import multilabel
from core.data.language import describe
from core.data.reading import RawTable, read_table
from core.errors import DataError
from core.i18n import Phrase, translator

MAX_TEXT_CHARS = 20_000  # models read 128-512 tokens; 20k chars keeps a 20 MB cell from eating RAM
MAX_CLASSES = 200
SET_MARKS = r"\s*[;|,；，、]\s*"  # core.data.multilabel.SEPARATORS as one pattern

TEXT_NAMES = ["text", "review", "comment", "message", "content", "body", "sentence", "description",
              "tweet", "utterance", "question", "query", "feedback", "ticket", "document", "title", "subject",
              "文本", "评论", "内容", "句子", "评价", "留言", "问题"]  # Chinese headers, matched exactly
LABEL_NAMES = ["label", "sentiment", "category", "class", "target", "intent", "topic", "tag", "polarity",
               "rating", "type", "y", "labels", "classification", "emotion", "department",
               "标签", "类别", "情感", "分类", "极性", "主题", "意图"]


@dataclass
class CleanReport:
    """What cleaning kept and dropped, in plain numbers (JSON-serialisable)."""

    rows_in: int
    rows: int
    text_column: str
    label_column: str | None
    columns: list[str]
    classes: dict[str, int]
    dropped: dict[str, int]
    conflicting_texts: int = 0
    truncated: int = 0
    length: dict[str, float] = field(default_factory=dict)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    language: dict = field(default_factory=dict)  # core.data.language.describe: share not in English, scripts
    # texts with several labels: {"form", "separator", "columns", "labels", "mean_per_text", "none_share"}; {} when
    # each text has one label. `classes` then counts the texts holding each label.
    multi_label: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Dataset:
    """Clean rows (columns `text`, `label`, and `row`: the position in the file) and the report that describes them."""

    df: pd.DataFrame
    report: CleanReport


def load_dataset(source: str | Path | bytes, filename: str | None = None, text_col: str | None = None,
                 label_col: str | None = None, require_labels: bool = True, multi_label: bool | None = None) -> Dataset:
    """Read, map columns (guessing what is not given), clean and report. `multi_label`: None finds out whether
    texts have several labels (core.data.multilabel), True or False says so."""
    return dataset_from_raw(read_table(source, filename), text_col, label_col, require_labels, multi_label)


def dataset_from_raw(raw: RawTable, text_col: str | None = None, label_col: str | None = None,
                     require_labels: bool = True, multi_label: bool | None = None) -> Dataset:
    """`load_dataset` for a table already read (the app reads an upload once, then re-maps columns)."""
    guess_text, guess_label = guess_columns(raw.df)
    given_label = _check_column(raw.df, label_col, "label")
    text_col = _check_column(raw.df, text_col, "text") or guess_text
    label_col = given_label or guess_label
    if text_col is None:
        raise DataError("No column of free text was found; each row needs a text (a sentence or more), "
                        "so pick the text column yourself or add one.")
    sets = multilabel.detect(raw.df, text_col, label_col if label_col != text_col else None,
                             columns_allowed=given_label is None, multi_label=multi_label) if require_labels else None
    if sets is not None and sets.form == "columns":
        label_col = sets.columns[0]
    if require_labels and (label_col is None or label_col == text_col):
        raise DataError("No label column was found; add a column with the category of each text "
                        "(for example 'label' or 'sentiment'), or pick it yourself.")
    return clean(raw, text_col, label_col, sets)


def _check_column(df: pd.DataFrame, name: str | None, role: str) -> str | None:
    if name is None or name == "":
        return None
    if name not in df.columns:
        raise DataError("There is no column named '{name}' for the {role}; the columns are: {columns}.", name=name,
                        role=Phrase(role), columns=", ".join(map(str, df.columns)))
    return name


def guess_columns(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """Guess (text column, label column) from names and content."""
    sample = df.head(2000)
    stats = {c: _column_stats(sample[c]) for c in df.columns}
    text_scores = {c: _text_score(c, s) for c, s in stats.items()}
    text_col = max(text_scores, key=text_scores.get) if text_scores else None
    if text_col is not None and text_scores[text_col] <= 0:
        text_col = None
    label_scores = {c: _label_score(c, s, len(sample)) for c, s in stats.items() if c != text_col}
    label_col = max(label_scores, key=label_scores.get) if label_scores else None
    if label_col is not None and label_scores[label_col] <= 0:
        label_col = None
    return text_col, label_col


def text_column(df: pd.DataFrame, name: str | None = None,
                missing: str = "No column of free text was found in this file; pick the text column.") -> str:
    """The column of free text: `name` when given, else the guessed one; `missing` (one sentence, an English
    message id) when there is none."""
    col = name or guess_columns(df)[0]
    if col is None or col not in df.columns:
        raise DataError(missing)
    return col


def _column_stats(col: pd.Series) -> dict:
    values = col[col.str.strip() != ""]
    lengths = values.str.len()
    return {"mean_len": float(lengths.mean()) if len(values) else 0.0,
            "spaces": float(values.str.count(" ").mean()) if len(values) else 0.0,
            "unique": values.nunique(), "filled": len(values),
            "numeric": float(pd.to_numeric(values, errors="coerce").notna().mean()) if len(values) else 0.0,
            "set_unique": _set_unique(values),
            "lists": bool(len(values)) and float((values.str.startswith("[") & values.str.endswith("]")).mean()) >= 0.5}


def _set_unique(values: pd.Series) -> int | None:
    """Distinct labels when the cells look like label sets (a separator or a JSON list in one in 20 or
    more; GoEmotions has two or more labels in 17%): its 28 emotions make ~700 different cells, too many to be
    classes, few enough as sets."""
    short = values[values.str.len() <= 300]
    marked = short.str.contains(SET_MARKS, regex=True) | short.str.startswith("[")
    if not len(short) or marked.mean() < 0.05:
        return None
    pieces = short.str.strip("[]").str.split(SET_MARKS, regex=True).explode().str.strip(" \"'")
    return int(pieces[pieces != ""].nunique())


def _name_hit(name: str, names: list[str]) -> float:
    low = str(name).lower().replace("_", " ")
    for rank, word in enumerate(names):
        if low == word or word in low.split():
            return 3.0 - rank * 0.05
    return 0.0


def _text_score(name: str, s: dict) -> float:
    if s["filled"] == 0 or s["numeric"] > 0.9:
        return 0.0
    # free text is long, wordy and mostly unique; CJK text has no spaces, so length alone counts too
    content = min(s["mean_len"], 200) / 40 + min(s["spaces"], 20) / 10 + s["unique"] / max(s["filled"], 1)
    if s["mean_len"] < 8 and s["unique"] / max(s["filled"], 1) < 0.5:
        return 0.0
    return content + _name_hit(name, TEXT_NAMES)


def _label_score(name: str, s: dict, n: int) -> float:
    sets = s["set_unique"] is not None and (s["set_unique"] < s["unique"] or s["lists"])
    if sets:  # label sets: count labels, not the combinations of them
        s = s | {"unique": s["set_unique"], "mean_len": min(s["mean_len"], 60)}
    if s["filled"] == 0 or s["unique"] > MAX_CLASSES or s["mean_len"] > 60:
        return 0.0
    if s["unique"] == 1:  # a one-value column is only a label if named like one; training then explains
        return 0.5 if _name_hit(name, LABEL_NAMES) else 0.0
    if s["unique"] > max(2, 0.5 * s["filled"]) and not sets:  # mostly unique values are ids, not labels
        return 0.0
    return 2.0 - s["unique"] / max(s["filled"], 1) + _name_hit(name, LABEL_NAMES) + s["filled"] / max(n, 1)


def clean(raw: RawTable, text_col: str, label_col: str | None, sets: multilabel.LabelSets | None = None) -> Dataset:
    """Drop empty texts, missing labels and exact duplicates; truncate huge texts; report.
    The rows keep `row`, their position among the file's data rows (for reports that point back).
    With `sets` (texts with several labels) `label` holds each canonical set and an empty set is kept: a text
    with no label is a negative for every label."""
    df = pd.DataFrame({"text": raw.df[text_col].astype(str).str.strip()})
    if sets is not None:
        df["label"] = [labelsets.encode(s) for s in sets.sets]
    else:
        df["label"] = raw.df[label_col].astype(str).str.strip() if label_col else ""
    df["row"] = np.arange(len(df))  # 0-based position among the file's data rows, kept through cleaning
    rows_in = len(df) + raw.malformed_rows
    dropped = {"malformed": raw.malformed_rows, "empty_text": int((df["text"] == "").sum())}
    df = df[df["text"] != ""]
    dropped["missing_label"] = int((df["label"] == "").sum()) if label_col else 0
    if label_col:
        df = df[df["label"] != ""]
    dup = df.duplicated(["text", "label"])
    dropped["duplicates"] = int(dup.sum())
    df = df[~dup].reset_index(drop=True)
    long = df["text"].str.len() > MAX_TEXT_CHARS
    if long.any():
        df.loc[long, "text"] = df.loc[long, "text"].str.slice(0, MAX_TEXT_CHARS)
    conflicts = int(df.groupby("text")["label"].nunique().gt(1).sum()) if label_col else 0
    report = CleanReport(rows_in=rows_in, rows=len(df), text_column=text_col, label_column=label_col,
                         columns=list(raw.df.columns), classes=_class_counts(df) if label_col else {},
                         dropped=dropped, conflicting_texts=conflicts, truncated=int(long.sum()),
                         length=_length_stats(df["text"]), encoding=raw.encoding, warnings=list(raw.warnings),
                         language=describe(df["text"]))
    if sets is not None:
        decoded = [labelsets.decode(v) for v in df["label"]]
        report.classes = _label_counts(decoded)
        report.multi_label = sets.describe() | multilabel.summary(decoded)
    report.warnings += warnings(report.to_dict())
    if df.empty:
        raise DataError("No usable rows are left after removing empty texts and missing labels; check the column choice.")
    return Dataset(df, report)


def _label_counts(sets: list[list[str]]) -> dict[str, int]:
    counts = pd.Series([x for s in sets for x in s], dtype=str).value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _class_counts(df: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in df["label"].value_counts().items()}


def _length_stats(texts: pd.Series) -> dict[str, float]:
    n = texts.str.len()
    if n.empty:
        return {}
    return {"min": int(n.min()), "median": float(n.median()), "mean": round(float(n.mean()), 1),
            "p95": float(n.quantile(0.95)), "max": int(n.max())}


def warnings(report: dict, lang: str = "en") -> list[str]:
    """What to watch in a cleaning report (CleanReport.to_dict()), in `lang`; made from its counts each
    time, so a report saved in one language reads in another."""

    _, out = translator(lang), []
    classes = report.get("classes") or {}
    if report.get("truncated"):
        out.append(_("{n} very long text(s) were cut to {chars:,} characters for training.",
                     n=report["truncated"], chars=MAX_TEXT_CHARS))
    if report.get("conflicting_texts"):
        out.append(_("{n} text(s) appear with more than one label; models cannot get all of them right.",
                     n=report["conflicting_texts"]))
    multi = report.get("multi_label") or {}
    if multi:
        out.insert(0, multi_sentence(multi, lang))
        once = [k for k, v in classes.items() if v < 2]
        if once:
            out.append(_("{n} label(s) are used by only one text and cannot be learned: {names}; label more texts "
                         "with them or remove them.", n=len(once), names=", ".join(once[:5])))
    if report.get("label_column") and len(classes) > 1:
        counts = sorted(classes.values())
        if counts[0] * 10 < counts[-1]:
            out.append(_("The classes are very unbalanced (the smallest has under a tenth of the largest); "
                         "watch macro-F1, not accuracy."))
        tiny = [k for k, v in classes.items() if v < 3]
        if tiny:
            out.append(_("{n} class(es) have fewer than 3 examples and are kept in training only: {names}.",
                         n=len(tiny), names=", ".join(tiny[:5])))
    return out


def multi_sentence(multi: dict, lang: str = "en") -> str:
    """"Several labels per text: 6 labels, 1.8 per text on average, 12% of texts have none." (in `lang`)"""
    _ = translator(lang)
    if not multi["none_share"]:
        return _("Several labels per text: {labels} labels, {mean:.1f} per text on average, every text has at least "
                 "one.", labels=multi["labels"], mean=multi["mean_per_text"])
    return _("Several labels per text: {labels} labels, {mean:.1f} per text on average, {none:.0%} of texts have "
             "none.", labels=multi["labels"], mean=multi["mean_per_text"], none=multi["none_share"])


@dataclass
class Split:
    """Train / validation / test frames with columns `text` and `label`."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def split_dataset(df: pd.DataFrame, val_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 42) -> Split:
    """Stratified, seeded split. Classes with fewer than 3 rows go to train only
    (they cannot be spread over three parts); every other class keeps >= 1 train row."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for _, idx in sorted(df.groupby(_strata(df["label"])).indices.items()):
        idx = rng.permutation(idx)
        if len(idx) < 3:
            parts["train"].append(idx)
            continue
        n_test = max(1, round(len(idx) * test_fraction)) if test_fraction > 0 else 0
        n_val = max(1, round(len(idx) * val_fraction)) if val_fraction > 0 else 0
        n_test, n_val = min(n_test, len(idx) - 2), min(n_val, len(idx) - 2)
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test:n_test + n_val])
        parts["train"].append(idx[n_test + n_val:])
    frames = {k: df.iloc[np.sort(np.concatenate(v))].reset_index(drop=True) if v else df.iloc[:0] for k, v in parts.items()}
    return Split(frames["train"], frames["val"], frames["test"])


def _strata(labels: pd.Series) -> np.ndarray:
    """What the split stratifies on: the label, or for label sets the rarest label of each set (sets are too many
    to stratify on whole: GoEmotions has ~700; the rarest label is what a random split loses first)."""
    if not labelsets.is_multi(labels.head(50)):
        return labels.to_numpy()
    sets = [labelsets.decode(v) for v in labels]
    counts = pd.Series([x for s in sets for x in s], dtype=str).value_counts().to_dict()
    return np.array([min(s, key=lambda x: (counts[x], x)) if s else "" for s in sets], dtype=object)


def require_two_classes(labels) -> None:
    """Training needs two classes; say so plainly when there is one."""
    classes = sorted(set(labels))
    if len(classes) < 2:
        if classes:
            raise DataError("Only one class ('{label}') was found in the label column; a classifier needs at least two "
                            "different labels, so add examples of another class.", label=classes[0])
        raise DataError("No class was found in the label column; a classifier needs at least two different labels.")
