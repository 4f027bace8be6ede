"""The Label page with no model yet: texts without labels from the Data page, the first ones picked for variety (one
per group of similar texts, core.trust.active.first_to_label), labelled by hand and saved as a new dataset. The
texts not labelled stay, for the models trained next to rank."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labelling import ladder
from core.trust.active import first_to_label
from ui import state
from ui.i18n import _
from ui.label_table import SKIP
from ui.safe import md
from ui.widgets import guard

PICKS = "first_picks"  # (how many, the texts picked): picked once per number, not on every rerun


def first_labels(store) -> None:
    pool = state.get(state.FIRST_POOL)
    if not pool or pool.get("dataset"):
        return
    texts, classes = pool["texts"], pool["classes"]
    st.subheader(_("Your first labels"))
    st.caption(_("One text of each kind from {file} ({n:,} texts grouped by similarity): labelling these first shows "
                 "the models every kind early. Give each category at least 3 labels, so some can be held out to test "
                 "the models.", file=md(pool["file"]), n=len(texts)))
    n = int(st.number_input(_("How many to label first"), 4, 200, min(20, len(texts)), key="first_n"))
    picked = state.get(PICKS)
    if not picked or picked[0] != n:
        with st.spinner(_("Grouping the texts...")):
            picked = (n, [r["text"] for r in first_to_label(texts, n)])
            state.put(PICKS, picked)
    skip = _(SKIP)
    edited = st.data_editor(pd.DataFrame({"text": picked[1], "label": [None] * len(picked[1])}), hide_index=True,
                            disabled=["text"], key=f"first_table_{n}",
                            column_config={"text": _("text"), "label": st.column_config.SelectboxColumn(
                                _("your label"), options=[*classes, skip])})
    labelled = edited[edited["label"].isin(classes)]
    if st.button(_("Save {n} labelled text(s) as a dataset", n=len(labelled)), type="primary",
                 disabled=labelled.empty):
        with guard("Saving the labels"):
            rows = list(zip(labelled["text"], labelled["label"], strict=True))
            dataset_id = ladder.save_first_labels(store, rows, pool["file"])
            done = set(labelled["text"])
            state.put(state.FIRST_POOL, {**pool, "dataset": dataset_id, "texts": [t for t in texts if t not in done]})
            state.put(state.DATASET_ID, dataset_id)
            state.put(PICKS, None)
            st.rerun()


def first_saved(store, dataset_id: str) -> None:
    """After the first labels were saved: what to do next."""
    pool = state.get(state.FIRST_POOL) or {}
    if pool.get("dataset") == dataset_id and not state.get(state.TO_LABEL):
        st.success(_("Saved as a dataset. Train the baseline on it (seconds), then come back: the {n:,} texts not "
                     "labelled yet are ranked by what the model is least sure of.", n=len(pool["texts"])))
        st.page_link("pages/train.py", label=_("Go to Train"), icon=":material/arrow_forward:")
