"""Archive, restore and delete, for a run (Train's list) and a dataset (the Data page). Delete asks once more
in a popover; what something else needs is refused in one sentence (core.housekeeping)."""
from __future__ import annotations

import streamlit as st

from core import housekeeping
from ui import resources
from ui.i18n import _
from ui.widgets import guard


def run_actions(job, col) -> None:
    """Archive (or restore) and delete buttons for a finished run, in `col`."""
    store = resources.store()
    a, d, _spacer = col.columns([1, 1, 5])  # two small buttons at the left, not spread over the card
    if job.archived:
        if a.button(_("Restore"), key=f"restore-{job.id}"):
            with guard("Restoring"):
                housekeeping.archive_run(store, job.id, archived=False)
                st.rerun()
    elif a.button(_("Archive"), key=f"archive-{job.id}", help=_("Hidden from every list and picker; its files stay, "
                                                                 "and Restore brings it back.")):
        with guard("Archiving"):
            housekeeping.archive_run(store, job.id)
            st.rerun()
    with d.popover(_("Delete"), icon=":material/delete:"):
        st.caption(_("Deletes the model, its scores and its predictions for good."))
        if st.button(_("Delete for good"), type="primary", key=f"delete-{job.id}"):
            with guard("Deleting"):
                housekeeping.delete_run(store, job.id)
                st.rerun()


def dataset_actions(dataset_id: str) -> None:
    store = resources.store()
    with st.popover(_("Archive or delete this dataset"), icon=":material/inventory_2:"):
        st.caption(_("Archive hides it from every list and keeps its files; delete removes every version for good "
                     "and is refused while runs trained on it exist."))
        c1, c2 = st.columns(2)
        if c1.button(_("Archive"), key=f"archive-ds-{dataset_id}"):
            with guard("Archiving"):
                housekeeping.archive_dataset(store, dataset_id)
                st.rerun()
        if c2.button(_("Delete for good"), type="primary", key=f"delete-ds-{dataset_id}"):
            with guard("Deleting"):
                housekeeping.delete_dataset(store, dataset_id)
                st.rerun()


def archived_datasets() -> None:
    """The archived datasets, each with Restore (the Data page's last expander)."""
    store = resources.store()
    hidden = store.datasets(archived=True)
    if not hidden:
        return
    with st.expander(_("Archived datasets ({n})", n=len(hidden))):
        for d in hidden:
            c1, c2 = st.columns([4, 1])
            c1.text(d["name"])
            if c2.button(_("Restore"), key=f"restore-ds-{d['id']}"):
                with guard("Restoring"):
                    housekeeping.archive_dataset(store, d["id"], archived=False)
                    st.rerun()
