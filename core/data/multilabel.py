"""Reading texts with several labels: how a file says it, found without being told.

Three forms people upload: one label column whose cells hold several labels separated by `;` `|` `,` (or the
Chinese `；` `，` `、`), the same column as JSON lists, or one 0/1 column per label with the label names as
headers (Jigsaw's toxic-comment file). `detect` returns each row's label set and how it was read, or None for a
single-label column; a person can override it either way (`multi_label=True/False`).

A separator is only believed when the pieces it makes recombine: a piece is "free" when it appears in at least
two different cells (alone, or beside different labels). A cell whose pieces are all free is a label set; a cell
with a piece found nowhere else is most likely one name holding the separator ("Billing, Payments"). When a
column has many of both, it cannot be read safely and is refused in one sentence rather than guessed.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from core.errors import DataError

# tried in this order, the one in the most cells wins; the Chinese signs are one family (people mix them)
SEPARATORS = [";", "|", ",", "；，、"]
TRUE_VALUES, FALSE_VALUES = {"1", "1.0", "true", "yes", "y"}, {"0", "0.0", "false", "no", "n", ""}
SURE = 0.8  # share of separated cells whose pieces recombine: at or above, a label set; at or below 1 - SURE, a name
MAX_LABELS = 200  # as for classes (core.data.cleaning.MAX_CLASSES)


@dataclass
class LabelSets:
    """Each row's labels as read from the file, and how they were written."""

    sets: list[list[str]]
    form: str  # "separator", "list" or "columns"
    separator: str | None = None
    columns: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        return {"form": self.form, "separator": self.separator, "columns": list(self.columns)}


def detect(df: pd.DataFrame, text_col: str, label_col: str | None, *, columns_allowed: bool = True,
           multi_label: bool | None = None) -> LabelSets | None:
    """Label sets from `label_col` (or from 0/1 columns when `columns_allowed`), None for single labels.
    `multi_label=True` splits even where the evidence is weak; False reads single labels."""
    if multi_label is False:
        return None
    if columns_allowed:
        binary = binary_columns(df, exclude={text_col})
        if len(binary) >= 2 and (label_col is None or label_col in binary):
            return _from_columns(df, binary)
    if label_col is None:
        return None
    cells = df[label_col].astype(str).str.strip()
    found = _from_lists(cells) or _from_separator(cells, force=bool(multi_label))
    if found is None and multi_label:  # told so, but no cell holds two labels: every text has one (or none)
        return LabelSets([[c] if c else [] for c in cells], "separator")
    return found


def binary_columns(df: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns holding only 0/1 (or true/false, yes/no) with at least one 1: one label each."""
    out = []
    for col in df.columns:
        if col in exclude:
            continue
        values = set(df[col].head(5000).astype(str).str.strip().str.lower().unique())
        if values <= TRUE_VALUES | FALSE_VALUES and values & TRUE_VALUES:
            out.append(col)
    return out


def _from_columns(df: pd.DataFrame, cols: list[str]) -> LabelSets:
    on = {c: df[c].astype(str).str.strip().str.lower().isin(TRUE_VALUES).to_numpy() for c in cols}
    sets = [[str(c) for c in cols if on[c][i]] for i in range(len(df))]
    return LabelSets(sets, "columns", columns=[str(c) for c in cols])


def _from_lists(cells: pd.Series) -> LabelSets | None:
    """JSON lists (`["a", "b"]`): at least half the filled cells, the rest one label each."""
    filled = cells[cells != ""]
    looks = filled.str.startswith("[") & filled.str.endswith("]")
    if not len(filled) or looks.mean() < 0.5:
        return None
    sets = []
    for c in cells:
        if c.startswith("[") and c.endswith("]"):
            try:
                parsed = json.loads(c)
            except json.JSONDecodeError:
                parsed = [p.strip().strip("'\"") for p in c[1:-1].split(",")]  # Python's repr of a list
            sets.append(sorted({str(x).strip() for x in parsed if str(x).strip()}) if isinstance(parsed, list) else [c])
        else:
            sets.append([c] if c else [])
    return LabelSets(sets, "list")


def _from_separator(cells: pd.Series, force: bool) -> LabelSets | None:
    counts = {s: int(cells.str.contains(_pattern(s), regex=True).sum()) for s in SEPARATORS}
    sep = max(SEPARATORS, key=lambda s: counts[s])  # max keeps the first of a tie: the list's order
    if counts[sep] < 2 and not (force and counts[sep]):
        return None
    rows = cells.value_counts()
    split = {c: _pieces(c, sep) for c in rows.index}
    appears = Counter(p for pieces in split.values() for p in set(pieces))  # in how many different cells
    multi = {cell: pieces for cell, pieces in split.items() if len(pieces) > 1}
    if not force and multi:
        alone = [cell for cell, pieces in multi.items() if not all(appears[p] >= 2 for p in pieces)]
        recombine = 1 - rows[alone].sum() / rows[list(multi)].sum()  # a share of the texts, not of the cells
        if recombine <= 1 - SURE:
            return None  # the separator is part of the names
        if recombine < SURE:
            name = alone[0]
            raise DataError("The label column uses '{sep}' both between labels and inside label names (such as "
                            "'{name}'), so the labels cannot be told apart; separate labels with another sign "
                            "(such as '|') or write each text's labels as a JSON list.", sep=sep[0], name=name)
    if len(appears) > MAX_LABELS:
        return None
    return LabelSets([_pieces(c, sep) for c in cells], "separator", separator=sep)


def _pattern(sep: str) -> str:
    return "[" + re.escape(sep) + "]"


def _pieces(cell: str, sep: str) -> list[str]:
    return sorted({p.strip() for p in re.split(_pattern(sep), cell) if p.strip()})


def summary(sets: list[list[str]]) -> dict:
    """The numbers the cleaning report shows: labels, labels per text, share of texts with none."""
    n = max(len(sets), 1)
    return {"labels": len({x for s in sets for x in s}), "mean_per_text": round(sum(map(len, sets)) / n, 2),
            "none_share": round(sum(1 for s in sets if not s) / n, 4)}
