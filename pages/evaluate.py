"""Evaluate: compare finished runs side by side, explain them in plain words, export."""
import pandas as pd
import streamlit as st

from core.report import build_dashboard, figures, html_report, metrics_csv, summary_sentences
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.error_explorer import error_explorer, report_mistakes
from ui.i18n import _, lang
from ui.version_compare import across_versions
from ui.widgets import finished_runs, guard

ensure_app_navigation()
st.title(_("Evaluate"))
store = resources.store_or_stop()
labels = finished_runs(store, _("No finished runs yet: train some on the Train page."))
default = [i for i in state.get(state.SELECTED_RUNS, []) if i in labels] or list(labels)[:3]
picked = st.multiselect(_("Runs to compare"), list(labels), default=default, format_func=labels.get)
state.put(state.SELECTED_RUNS, picked)
with st.expander(_("Rename a run")):
    with st.form("rename"):
        run_id = st.selectbox(_("Run"), list(labels), format_func=labels.get)
        new_name = st.text_input(_("New name"), max_chars=120)
        if st.form_submit_button(_("Rename")):
            with guard("Renaming"):
                resources.runner().rename(run_id, new_name)
                st.rerun()
if not picked:
    st.stop()

with guard("Building the comparison"):
    dash = build_dashboard([store.run_dir(i) for i in picked], lang())
    st.subheader(_("In plain words"))
    for sentence in summary_sentences(dash):
        st.text(sentence)  # st.text: user-derived class names are never interpreted as markup

    st.subheader(_("Scores on held-out test rows"))
    cols = {"name": _("contender"), "accuracy": _("accuracy"), "ci": _("95% CI"), "macro_f1": _("macro-F1"),
            "f1_ci": _("macro-F1 95% CI"), "ece": _("calibration error"), "n": _("test rows"),
            "seconds": _("train seconds")}
    table = pd.DataFrame([{cols["name"]: r["name"], cols["accuracy"]: r["accuracy"],
                           cols["ci"]: f"{r['ci']['accuracy'][0]:.3f} – {r['ci']['accuracy'][1]:.3f}",
                           cols["macro_f1"]: r["macro_f1"],
                           cols["f1_ci"]: f"{r['ci']['macro_f1'][0]:.3f} – {r['ci']['macro_f1'][1]:.3f}",
                           cols["ece"]: r["ece"], cols["n"]: r["n"], cols["seconds"]: r["seconds"]}
                          for r in dash.rows])
    st.dataframe(table, hide_index=True, column_config={cols[c]: st.column_config.NumberColumn(format="%.3f")
                                                        for c in ("accuracy", "macro_f1", "ece")})
    for test in dash.tests:
        st.text(test["sentence"])
    for note in dash.notes:
        st.caption(note)
    across_versions(store, [store.run_dir(i) for i in picked])

    normalize = st.toggle(_("Show confusion matrices as percentages of each true class"))
    figs = figures(dash, normalize=normalize)
    st.plotly_chart(figs.pop("metrics"))
    confusions = {k: v for k, v in figs.items() if k.startswith("confusion:")}
    for col, (key, fig) in zip(st.columns(len(confusions)), confusions.items()):
        col.plotly_chart(fig, key=key)
    tabs = st.tabs([_("Per-class F1"), _("ROC"), _("Precision-recall"), _("Calibration"), _("Training curves")])
    for tab, key in zip(tabs, ["per_class", "roc", "pr", "calibration", "training"]):
        with tab:
            if key in figs:
                st.plotly_chart(figs[key], key=f"tab-{key}")
            else:
                st.caption(_("No training curves: only the fine-tuned Transformer trains step by step."))

    st.subheader(_("Error explorer"))
    error_explorer(dash)

    d1, d2 = st.columns(2)
    d1.download_button(_("Download the report (HTML)"), html_report(dash, explained=report_mistakes(dash)),
                       "tunelab-report.html", "text/html")
    d2.download_button(_("Download metrics (CSV)"), metrics_csv(dash), "tunelab-metrics.csv", "text/csv")
    if st.button(_("Explain these results in the chat")):
        state.put(state.PENDING_PROMPT, "explain")
        st.switch_page("pages/chat.py")
