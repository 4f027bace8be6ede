"""Evaluate's thresholds: slide a label's threshold, read what it does on the test rows, save it into the model."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from core.contenders.base import read_meta
from core.glossary import help_text
from core.report import Dashboard
from core.runs import RunFolder
from core.thresholds import current, operating_point, point_sentence, save_threshold, threshold_labels
from ui.i18n import _, lang, when
from ui.safe import md
from ui.widgets import guard


def threshold_panel(dash: Dashboard) -> None:
    """For multi-label runs every label, for two-class runs the positive class: a slider and its sentence."""
    runs = {r["name"]: r["run"] for r in dash.rows if threshold_labels(read_meta(RunFolder(r["run"]).model_dir))}
    if not runs:
        return
    st.subheader(_("Thresholds"))
    st.caption(_("A label is given when its probability reaches its threshold. A higher threshold flags fewer texts "
                 "and is right more often; a lower one misses fewer. Tuned on the validation rows when the model "
                 "trained; choose your own here."))
    c1, c2 = st.columns(2)
    name = c1.selectbox(_("Model"), list(runs), key="threshold_run")
    run = RunFolder(runs[name])
    meta = read_meta(run.model_dir)
    label = c2.selectbox(_("Label to set"), threshold_labels(meta), key=f"threshold_label_{run.id}")
    saved = current(meta, label)
    value = st.slider(_("Threshold"), 0.01, 0.99, saved, 0.01, key=f"threshold_{run.id}_{label}_{saved}",
                      help=help_text("threshold", lang()))
    frame = run.predictions()
    if frame is None:
        st.caption(_("This run kept no test predictions, so the threshold cannot be tried here."))
        return
    st.markdown(md(point_sentence(operating_point(frame, label, value), lang())))
    chosen = meta.get("threshold_chosen") or {}
    if chosen.get("by") == "tuned":
        st.caption(_("Tuned when the model trained: the best F1 for each label on {n} validation rows.",
                     n=chosen.get("rows", "?")))
    elif chosen:
        at = dt.datetime.strptime(chosen["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
        st.caption(md(_("Last set by {by} on {at}.", by=chosen.get("by", "?"), at=when(at))))
    if abs(value - saved) < 1e-9:
        return
    with st.form(f"save_threshold_{run.id}_{label}"):
        by = st.text_input(_("Your name (saved with the threshold)"), max_chars=80)
        if st.form_submit_button(_("Save {t:.2f} into the model", t=value)):
            with guard("Saving the threshold"):
                save_threshold(run.path, label, value, by or _("someone on the Evaluate page"))
                st.toast(_("Saved: Predict, the API and downloads now use {t:.2f} for '{label}'.", t=value,
                           label=label))
                st.rerun()
