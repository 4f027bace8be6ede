""""Wrong? Pick the right label": a correction from Predict or the error explorer joins the corrections
queue of the dataset the model was trained on (saved as its next version from the Data page)."""
from __future__ import annotations

import streamlit as st

from core import labelsets
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
    if labelsets.is_encoded(default):  # a multi-label model: the text's whole set, starting from the model's
        _set_form(store, job.dataset_id, text, classes, default, source, key, prompt)
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


def _set_form(store, dataset_id: str, text: str, classes: list[str], default: str, source: str, key: str,
              prompt: str) -> None:
    """A correction for texts with several labels: add or remove labels from the set (empty: none applies)."""
    with st.form(f"correct-{key}", border=False):
        labels = st.multiselect(prompt or _("Wrong? Pick the right labels"), classes,
                                default=[c for c in labelsets.decode(default) if c in classes],
                                key=f"correct-labels-{key}")
        if st.form_submit_button(_("Add to the dataset's next version")):
            with guard("Saving the correction"):
                feedback.add(store, dataset_id, [{"text": text, "label": labelsets.encode(labels)}], source)
                st.success(_("Added with the labels {labels}; it waits in the corrections queue on the Data page.",
                             labels=md(labelsets.show(labels, _("(none)")))))
