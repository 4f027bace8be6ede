"""An LLM-labelled dataset on the Data page: a person confirms or corrects the test sample before any score is shown
(it becomes the fixed test split), then reviews the labels the LLM was least sure of first."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import versions
from core.labelling import ladder
from ui import resources
from ui.i18n import _
from ui.widgets import guard

CHECKED = "checked_sample"  # (agreed, of, version tag): said after the rerun that follows a check
LEAST_SURE = 50  # LLM labels shown for review at once, least confident first


def check_panel(dataset_id: str) -> None:
    store = resources.store()
    said = st.session_state.pop(CHECKED, None)
    if said:
        st.success(_("Checked: you agreed with the language model on {agreed} of {n} test texts; saved as {tag}. The "
                     "model that labelled is now a run on Evaluate (the teacher); train models on these labels on the "
                     "Train page.", agreed=said[0], n=said[1], tag=said[2]))
        st.page_link("pages/train.py", label=_("Go to Train"), icon=":material/arrow_forward:")
    rows = versions.rows(store, dataset_id)
    if "source" not in rows:
        return
    if ladder.waiting_check(store, dataset_id):
        _check(store, dataset_id)
    else:
        _least_sure(store, dataset_id, rows)


def _check(store, dataset_id: str) -> None:
    sample = ladder.check_sample(store, dataset_id)
    st.subheader(_("Check the test sample"))
    st.warning(_("A language model gave these labels. Confirm or correct these {n} texts: they become the test rows "
                 "every model is scored on, so scores measure agreement with you, never with the model's own labels. "
                 "Until then Evaluate shows no scores.", n=len(sample)))
    table = pd.DataFrame({"text": sample["text"], "model": sample["label"], "confidence": sample["confidence"],
                          "yours": sample["label"]})
    edited = st.data_editor(table, hide_index=True, disabled=["text", "model", "confidence"], key=f"check_{dataset_id}",
                            column_config={
                                "text": _("text"), "model": _("the model's label"),
                                "confidence": st.column_config.ProgressColumn(_("its confidence"), min_value=0.0,
                                                                              max_value=1.0, format="%.2f"),
                                "yours": st.column_config.SelectboxColumn(
                                    _("your label"), options=ladder.categories(store, dataset_id), required=True)})
    changed = int((edited["yours"] != edited["model"]).sum())
    st.caption(_("Least confident first. {n} changed so far.", n=changed))
    if st.button(_("Confirm these {n} labels", n=len(sample)), type="primary"):
        with guard("Saving the checked labels"):
            labels = dict(zip(sample["uid"].astype(int), edited["yours"], strict=True))
            version, _teacher = ladder.confirm_check(store, dataset_id, labels)
            st.session_state[CHECKED] = (len(sample) - changed, len(sample), version.tag)
            st.rerun()


def _least_sure(store, dataset_id: str, rows: pd.DataFrame) -> None:
    from_llm = rows[rows["source"].astype(str).str.startswith("llm:") & (rows["split"] != "test")]
    if from_llm.empty:
        return
    with st.expander(_("Review the labels the language model was least sure of ({n:,} labels from it)",
                       n=len(from_llm))):
        least = from_llm.sort_values("confidence", kind="stable").head(LEAST_SURE)
        table = pd.DataFrame({"text": least["text"].values, "confidence": least["confidence"].values,
                              "label": least["label"].values})
        edited = st.data_editor(table, hide_index=True, disabled=["text", "confidence"], key=f"least_{dataset_id}",
                                column_config={
                                    "text": _("text"),
                                    "confidence": st.column_config.ProgressColumn(
                                        _("its confidence"), min_value=0.0, max_value=1.0, format="%.2f"),
                                    "label": st.column_config.SelectboxColumn(
                                        _("label"), options=ladder.categories(store, dataset_id), required=True)})
        edits = [{"uid": int(u), "label": new, "source": "review"}
                 for u, old, new in zip(least["uid"], least["label"], edited["label"], strict=True) if old != new]
        if st.button(_("Save {n} correction(s) as a new version", n=len(edits)), disabled=not edits):
            with guard("Saving the corrections"):
                version = versions.new_version(store, dataset_id, edits)
                st.toast(_("Saved as {tag}.", tag=version.tag))
                st.rerun()
