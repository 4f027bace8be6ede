"""The Evaluate page's error explorer: filter the mistakes, select one, see why the model chose
what it chose and what spoke for the true label."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.report import Dashboard, mistake_explanations
from core.runs import RunFolder
from ui import explain_view, resources
from ui.correct import correction_form
from ui.i18n import _
from ui.label_sets import shown
from ui.safe import md
from ui.widgets import guard


def _model(run_dir: str):
    return resources.classifier(str(RunFolder(run_dir).model_dir))


def error_explorer(dash: Dashboard) -> None:
    name = st.selectbox(_("Contender"), list(dash.evals))
    sets = bool(dash.evals[name].get("multi"))  # label sets: what it missed and what it added
    errors = pd.DataFrame(dash.evals[name]["errors"], columns=["text", "true", "pred", "confidence"] +
                          (["missed", "extra"] if sets else []))
    classes = dash.evals[name]["classes"]
    f1, f2 = st.columns(2)
    true_pick = f1.multiselect(_("Label missed") if sets else _("True class"), classes)
    pred_pick = f2.multiselect(_("Label added by mistake") if sets else _("Predicted class"), classes)
    if true_pick:
        errors = errors[errors["missed"].map(lambda m: bool(set(m) & set(true_pick)))] if sets else \
            errors[errors["true"].isin(true_pick)]
    if pred_pick:
        errors = errors[errors["extra"].map(lambda m: bool(set(m) & set(pred_pick)))] if sets else \
            errors[errors["pred"].isin(pred_pick)]
    shown_table = errors.assign(true=errors["true"].map(shown), pred=errors["pred"].map(shown),
                                **({"missed": errors["missed"].map(", ".join), "extra": errors["extra"].map(", ".join)}
                                   if sets else {}))
    st.caption(_("{n} mistakes, most confident first (those are the surprising ones). Select a row to see why.",
                 n=len(errors)))
    event = st.dataframe(shown_table, hide_index=True, on_select="rerun", selection_mode="single-row", key="errors",
                         column_config={"text": _("text"), "true": _("true label"), "pred": _("predicted"),
                                        "missed": _("missed"), "extra": _("added by mistake"),
                                        "confidence": st.column_config.ProgressColumn(
                                            _("confidence"), min_value=0.0, max_value=1.0, format="%.2f")})
    picked = event.selection.rows if event else []
    if picked and sets:
        _explain_set(dash, name, errors.iloc[picked[0]], classes, picked[0])
    elif picked:
        err = errors.iloc[picked[0]]
        run = next(r["run"] for r in dash.rows if r["name"] == name)
        c1, c2 = st.columns(2)
        with c1, guard("Explaining"):
            explain_view.show(err["text"], _model(run).explain(err["text"], err["pred"]),
                              caption=_("Why it said {label}", label=md(err["pred"])))
        with c2, guard("Explaining"):
            explain_view.show(err["text"], _model(run).explain(err["text"], err["true"]),
                              caption=_("What spoke for the true label, {label}", label=md(err["true"])))
        correction_form(RunFolder(run).id, err["text"], classes, err["pred"], "review", key=f"err-{picked[0]}",
                        prompt=_("Is the given label wrong? Pick the right one"))


def _explain_set(dash: Dashboard, name: str, err, classes: list[str], row: int) -> None:
    """A label-set mistake: why the model added a label, and what spoke for a label it missed."""
    run = next(r["run"] for r in dash.rows if r["name"] == name)
    c1, c2 = st.columns(2)
    for col, labels, caption in ((c1, err["extra"], _("Why it added {label}")),
                                 (c2, err["missed"], _("What spoke for {label}, which it missed"))):
        if labels:
            with col, guard("Explaining"):
                explain_view.show(err["text"], _model(run).explain(err["text"], labels[0]),
                                  caption=caption.format(label=md(labels[0])))
    correction_form(RunFolder(run).id, err["text"], classes, err["true"], "review", key=f"err-{row}",
                    prompt=_("Are the given labels wrong? Set the right ones"))


def report_mistakes(dash: Dashboard) -> dict:
    """The report's explained mistakes, computed once per set of runs (explaining costs up to ~1 s a text)."""
    with st.spinner(_("Explaining the most confident mistakes...")):
        return _cached_mistakes(tuple(r["run"] for r in dash.rows), dash)


@st.cache_data(max_entries=8, show_spinner=False,
               hash_funcs={Dashboard: lambda d: tuple((r["run"], r["name"]) for r in d.rows)})
def _cached_mistakes(runs: tuple[str, ...], dash: Dashboard) -> dict:
    return mistake_explanations(dash, lambda run, text, target: _model(run).explain(text, target))
