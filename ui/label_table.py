"""The Label page's table: the ranked texts, a label for each (or "skip" / "none of these"), added to the
dataset's corrections queue. What is decided leaves the list; the rest, and its order, stay."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import labelsets
from core.data import feedback, versions
from core.glossary import help_text
from ui import state
from ui.i18n import N_, _, lang
from ui.label_sets import shown
from ui.safe import md
from ui.widgets import guard

SKIP, NONE = N_("(skip for now)"), N_("(none of these labels)")


def remaining(ranked: list[dict], decided: set[str]) -> list[dict]:
    """The ranked texts still to decide, in their order."""
    return [r for r in ranked if r["text"] not in decided]


def label_table(store, dataset_id: str, dataset_name: str, ranked: list[dict]) -> None:
    classes = sorted(versions.latest(store, dataset_id).classes)
    if ranked and any(labelsets.is_encoded(g) for g in ranked[0]["guesses"].values()):
        _set_table(store, dataset_id, dataset_name, ranked, classes)
        return
    skip, none = _(SKIP), _(NONE)
    table = pd.DataFrame([{"text": r["text"], "uncertainty": r["uncertainty"],
                           "models say": ", ".join(sorted(set(r["guesses"].values()))), "label": None} for r in ranked])
    rounds = state.get(state.LABEL_ROUNDS, 0)  # a new key after each Add: the table starts with empty labels
    edited = st.data_editor(table, hide_index=True, disabled=["text", "uncertainty", "models say"],
                            key=f"label_table_{rounds}",
                            column_config={"text": _("text"), "models say": _("models say"),
                                           "label": st.column_config.SelectboxColumn(
                                               _("your label"), options=[*classes, skip, none]),
                                           "uncertainty": st.column_config.ProgressColumn(
                                               _("uncertainty"), min_value=0.0, max_value=2.0, format="%.2f",
                                               help=help_text("uncertainty", lang()))})
    decided = edited[edited["label"].notna()]
    labelled = decided[decided["label"].isin(classes)]
    if st.button(_("Add {n} labelled text(s) to {dataset}", n=len(labelled), dataset=md(dataset_name)),
                 disabled=decided.empty):
        with guard("Saving the labels"):
            feedback.add(store, dataset_id, labelled[["text", "label"]].to_dict("records"), "active")
            aside = set(decided.loc[decided["label"] == none, "text"])  # not asked again in this session
            state.put(state.LABEL_SET_ASIDE, list(set(state.get(state.LABEL_SET_ASIDE) or ()) | aside))
            gone = set(decided["text"])
            state.put(state.TO_LABEL, (dataset_id, remaining(ranked, gone)))
            state.put(state.LABEL_ROUNDS, rounds + 1)
            state.put(state.LABEL_ADDED, len(labelled))
            st.rerun()


def _set_table(store, dataset_id: str, dataset_name: str, ranked: list[dict], classes: list[str]) -> None:
    """Texts with several labels: each text's labels picked in one cell (the models' guesses shown as words);
    ticking "done" files the set, an empty set included (no label applies)."""
    table = pd.DataFrame([{"text": r["text"], "uncertainty": r["uncertainty"],
                           "models say": " | ".join(sorted({shown(g) for g in r["guesses"].values()})),
                           "labels": [], "done": False} for r in ranked])
    rounds = state.get(state.LABEL_ROUNDS, 0)
    edited = st.data_editor(table, hide_index=True, disabled=["text", "uncertainty", "models say"],
                            key=f"label_table_{rounds}",
                            column_config={"text": _("text"), "models say": _("models say"),
                                           "labels": st.column_config.MultiselectColumn(_("your labels"), options=classes),
                                           "done": st.column_config.CheckboxColumn(_("done")),
                                           "uncertainty": st.column_config.ProgressColumn(
                                               _("uncertainty"), min_value=0.0, max_value=2.0, format="%.2f",
                                               help=help_text("uncertainty", lang()))})
    decided = edited[edited["done"] | edited["labels"].map(lambda x: bool(x) if isinstance(x, list) else False)]
    if st.button(_("Add {n} labelled text(s) to {dataset}", n=len(decided), dataset=md(dataset_name)),
                 disabled=decided.empty):
        with guard("Saving the labels"):
            feedback.add(store, dataset_id, [{"text": t, "label": labelsets.encode(list(x) if isinstance(x, list) else [])}
                                             for t, x in zip(decided["text"], decided["labels"], strict=True)], "active")
            state.put(state.TO_LABEL, (dataset_id, remaining(ranked, set(decided["text"]))))
            state.put(state.LABEL_ROUNDS, rounds + 1)
            state.put(state.LABEL_ADDED, len(decided))
            st.rerun()
