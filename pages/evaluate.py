"""Evaluate: compare finished runs side by side, explain them in plain words, export."""
import streamlit as st

from core import charts
from core.glossary import help_text
from core.labelling.ladder import waiting_check
from core.report import build_dashboard, figures, html_report, metrics_csv, recommended_row, summary_sentences
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.error_explorer import error_explorer, report_mistakes
from ui.i18n import _, lang
from ui.run_picker import pick_group
from ui.safe import md
from ui.scorecard import scorecard_table
from ui.threshold_panel import threshold_panel
from ui.version_compare import across_versions
from ui.widgets import guard

ensure_app_navigation()
st.title(_("Evaluate"))
store = resources.store_or_stop()
group = pick_group(store, _("No finished runs yet: train some on the Train page."), key="evaluate_dataset")
if group.key in {d["id"] for d in store.datasets()} and waiting_check(store, group.key):
    st.info(_("A language model labelled this dataset, and its test sample is not checked yet. Scores are shown once "
              "a person has confirmed or corrected those labels, so that they measure agreement with people, not "
              "with the model's own labels."))
    st.page_link("pages/data.py", label=_("Check the test sample on Data"), icon=":material/fact_check:")
    st.stop()
labels = group.runs
# the last selection stays while no run has finished since; a new run (a retrain on v2) opens on the newest version
seen, chosen = state.get(state.SELECTED_RUNS) or ((), ())
default = [i for i in chosen if i in labels] if set(labels) <= set(seen) else []
picked = st.multiselect(_("Runs to compare"), list(labels), default=default or group.newest_version_runs()[:6],
                        format_func=labels.get, key=f"runs_{group.key}_{len(labels)}")
state.put(state.SELECTED_RUNS, (tuple(labels), tuple(picked)))
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
    sentences = summary_sentences(dash)
    st.success(md(sentences[0]), icon=":material/recommend:")  # the recommendation, escaped: names are the user's
    for sentence in sentences[1:]:
        st.text(sentence)  # st.text: user-derived class names are never interpreted as markup
    scorecard_table(dash)
    for test in dash.tests:
        st.text(test["sentence"])
    if len(dash.all_tests) > len(dash.tests):
        with st.expander(_("Every pair of models compared")):
            for test in dash.all_tests:
                st.text(test["sentence"])
    for note in dash.notes:
        st.caption(note)
    across_versions(store, [store.run_dir(i) for i in labels])  # every version's runs: did the new one help?

    sets = any(ev.get("multi") for ev in dash.evals.values())  # texts with several labels: no confusion matrix
    normalize = False if sets else st.toggle(_("Show confusion matrices as percentages of each true class"),
                                             help=help_text("confusion", lang()))
    figs = figures(dash, normalize=normalize)
    st.plotly_chart(figs.pop("metrics"))
    if "cost" in figs:  # the question a prompted LLM raises: is the better score worth its price?
        st.plotly_chart(figs.pop("cost"), key="cost")
    if "cooccurrence" in figs:  # texts with several labels: no confusion matrix, which labels come together
        st.plotly_chart(figs.pop("cooccurrence"), key="cooccurrence")
    confusions = {k: v for k, v in figs.items() if k.startswith("confusion:")}
    for col, (key, fig) in zip(st.columns(max(1, len(confusions))), confusions.items(), strict=False):
        col.plotly_chart(fig, key=key)
    tabs = st.tabs([_("Per-class F1"), _("ROC"), _("Precision-recall"), _("Calibration"), _("Training curves")])
    explained = {"per_class": "f1", "roc": "roc", "pr": "pr", "calibration": "calibration", "training": "validation"}
    for tab, key in zip(tabs, ["per_class", "roc", "pr", "calibration", "training"], strict=False):
        with tab:
            st.caption(help_text(explained[key], lang()))
            if key in ("roc", "pr") and len(dash.evals) > 1:  # a line per class per run ran to 15 legend lines
                names = list(dash.evals)
                which = st.selectbox(_("Run"), names, index=names.index(recommended_row(dash)["name"]),
                                     key=f"curves-{key}")
                draw = charts.roc_curves if key == "roc" else charts.pr_curves
                st.plotly_chart(draw({which: dash.evals[which]}, lang()), key=f"tab-{key}")
            elif key in figs:
                st.plotly_chart(figs[key], key=f"tab-{key}")
            else:
                st.caption(_("No training curves: only the fine-tuned Transformer trains step by step."))

    threshold_panel(dash)

    st.subheader(_("Error explorer"))
    error_explorer(dash)

    d1, d2 = st.columns(2)
    d1.download_button(_("Download the report (HTML)"), html_report(dash, explained=report_mistakes(dash)),
                       "tunelab-report.html", "text/html")
    d2.download_button(_("Download metrics (CSV)"), metrics_csv(dash), "tunelab-metrics.csv", "text/csv")
    if st.button(_("Explain these results in the chat")):
        state.put(state.PENDING_PROMPT, "explain")
        st.switch_page("pages/chat.py")
