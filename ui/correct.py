""""Wrong? Pick the right label": a correction from Predict or the error explorer joins the corrections
queue of the dataset the model was trained on (saved as its next version from the Data page)."""
from __future__ import annotations

import streamlit as st

from core.data import feedback
from ui import resources
from ui.i18n import _
from ui.safe import md
from ui.widgets import guard


def correction_form(run_id: str, text: str, classes: list[str], default: str, source: str, key: str,
                    prompt: str = "") -> None:
    store = resources.store()
    job = store.get_job(run_id)
    if job is None or not job.dataset_id:
        st.caption(_("This model was trained from a file rather than a saved dataset, so corrections have nowhere "
                     "to go; train it from the Data page to keep them."))
        return
    with st.form(f"correct-{key}", border=False):
        # nothing preselected: one click must not file the model's own (maybe wrong) label as the truth
        label = st.selectbox(prompt or _("Wrong? Pick the right label"), [c for c in classes if c != default],
                             index=None, placeholder=_("the right label"), key=f"correct-label-{key}")
        if st.form_submit_button(_("Add to the dataset's next version")):
            if label is None:
                st.info(_("Pick the right label first."))
                return
            with guard("Saving the correction"):
                feedback.add(store, job.dataset_id, [{"text": text, "label": label}], source)
                st.success(_("Added with the label {label}; it waits in the corrections queue on the Data page.",
                             label=md(label)))
