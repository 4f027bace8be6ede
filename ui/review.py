"""Review suspicious labels: one row at a time (keys A, K, L) or as a table, with "accept every suggestion
the models are at least this sure of". Decisions are remembered per row (core.data.feedback.decide), so a row
kept once is not asked again; accepted or picked labels join the dataset's corrections queue."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import labelsets
from core.data import feedback, versions
from ui import explain_view, resources
from ui.i18n import _
from ui.label_sets import shown
from ui.safe import md
from ui.widgets import guard


def review(dataset_id: str, report: dict, version: int, explainer) -> None:
    """`report` is a label check of `version`; its `row`s are positions in that version's rows file."""
    store = resources.store()
    uids = versions.rows(store, dataset_id, version)["uid"].tolist()
    issues = pd.DataFrame(report.get("issues", []), columns=["row", "text", "given", "suggested", "confidence", "score"])
    if issues.empty:
        return
    issues.insert(0, "uid", [int(uids[r]) for r in issues["row"]])
    done = feedback.decided(store, dataset_id)
    todo = issues[~issues["uid"].isin(done)].reset_index(drop=True)
    classes = sorted(versions.get(store, dataset_id, version).classes)
    st.subheader(_("Review suspicious labels"))
    st.caption(_("{n:,} to review", n=len(todo))
               + (_("; {n:,} you already decided are not asked again", n=len(issues) - len(todo))
                  if len(todo) < len(issues) else "")
               + _(". Accepted labels wait in the corrections queue above until you save them as a new version."))
    if todo.empty:
        return
    modes = {"one": _("One at a time"), "table": _("As a table")}
    mode = st.segmented_control(_("Review"), list(modes), format_func=modes.get, default="one", key="review_mode")
    with guard("Saving your decision"):
        if mode == "table":
            _table(store, dataset_id, todo, classes)
        else:
            _one(store, dataset_id, todo.iloc[0], classes, explainer)


def _record(store, dataset_id: str, rows: list[tuple[int, str, str, str]]) -> None:
    """rows: (uid, text, given, chosen label); a chosen label equal to the given one is a 'keep'."""
    feedback.decide(store, dataset_id, [{"uid": u, "decision": "keep" if new == given else "relabel", "label": new}
                                        for u, _text, given, new in rows])
    feedback.add(store, dataset_id, [{"uid": u, "label": new} for u, _text, given, new in rows if new != given],
                 "review")


def _one(store, dataset_id: str, row: pd.Series, classes: list[str], explainer) -> None:
    """One suspicious row: what speaks for each side, then accept the suggestion, keep the given label, or pick
    another. For a label set, the sides are a label that looks added by mistake and one that looks missing, and
    the pick is a whole set."""
    st.text(row["text"])  # st.text: the user's text is never markup
    st.caption(_("Given: {given} · the models suggest {suggested} ({sure:.0%} sure)", given=md(shown(row["given"])),
                 suggested=md(shown(row["suggested"])), sure=row["confidence"]))
    sets = labelsets.is_encoded(row["given"])  # label sets: a label to add or remove, not one to swap
    if explainer is not None:
        for col, (label, caption) in zip(st.columns(2), _sides(row, sets), strict=True):
            if label is not None:
                with col, guard("Explaining"):
                    explain_view.show(row["text"], explainer.explain(row["text"], label), caption=caption)
    a, k, other, use = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
    decision = None
    if a.button(_("Accept {label}", label=md(shown(row["suggested"]))), shortcut="A", type="primary",
                key="review_accept"):
        decision = row["suggested"]
    if k.button(_("Keep {label}", label=md(shown(row["given"]))), shortcut="K", key="review_keep"):
        decision = row["given"]
    key = f"review_other_{row['uid']}"
    pick = other.multiselect(_("Other labels"), classes, default=labelsets.decode(row["given"]), key=key) if sets \
        else other.selectbox(_("Another label"), classes, key=key)
    if use.button(_("Use it"), shortcut="L", key="review_pick"):
        decision = labelsets.encode(pick) if sets else pick
    if decision is not None:
        _record(store, dataset_id, [(int(row["uid"]), row["text"], row["given"], decision)])
        st.rerun()


def _sides(row: pd.Series, sets: bool) -> list[tuple[str | None, str]]:
    """The two labels explained beside a suspicious row, each with its caption (None: nothing on that side)."""
    if not sets:
        return [(row["given"], _("What speaks for the given label, {label}", label=md(row["given"]))),
                (row["suggested"], _("What speaks for the suggestion, {label}", label=md(row["suggested"])))]
    given, suggested = labelsets.decode(row["given"]), labelsets.decode(row["suggested"])
    extra, missing = [x for x in given if x not in suggested], [x for x in suggested if x not in given]
    return [(extra[0] if extra else None, _("Why {label} looks added by mistake", label=md(extra[0])) if extra else ""),
            (missing[0] if missing else None,
             _("What speaks for {label}, which is missing", label=md(missing[0])) if missing else "")]


def at_or_above(todo: pd.DataFrame, sure: float) -> pd.DataFrame:
    """The rows at or above the slider's value as the table shows them (two decimals): a 0.8996 row reads 0.90,
    so "at or above 90%" takes it (it did not, beside a row showing 0.90)."""
    return todo[todo["confidence"].round(2) >= round(sure, 2)]


def _table(store, dataset_id: str, todo: pd.DataFrame, classes: list[str]) -> None:
    sure = st.slider(_("Accept every suggestion the models are at least this sure of"), 0.5, 1.0, 0.9, 0.01,
                     format="%.2f", key="review_sure")
    confident = at_or_above(todo, sure)
    if st.button(_("Accept {n:,} suggestion(s) at or above {sure:.0%}", n=len(confident), sure=sure),
                 disabled=confident.empty):
        _record(store, dataset_id, list(zip(confident["uid"], confident["text"], confident["given"], confident["suggested"], strict=False)))
        st.rerun()
    sets = labelsets.is_encoded(todo["given"].iloc[0])  # label sets: shown as words, decided as a set
    table = todo[["uid", "text", "given", "suggested", "confidence"]].assign(decision=None)
    if sets:
        table = table.assign(given=table["given"].map(shown), suggested=table["suggested"].map(shown))
    pick = st.column_config.MultiselectColumn(_("your labels"), options=classes, help=_("Leave empty to decide later")) \
        if sets else st.column_config.SelectboxColumn(_("your label"), options=classes,
                                                        help=_("Leave empty to decide later"))
    edited = st.data_editor(table, hide_index=True, key="review_table", disabled=["uid", "text", "given", "suggested",
                                                                                "confidence"],
                            column_config={"uid": _("row"), "text": _("text"), "given": _("given label"),
                                           "suggested": _("suggested"), "decision": pick,
                                           "confidence": st.column_config.ProgressColumn(
                                               _("models' confidence"), min_value=0.0, max_value=1.0, format="%.2f")})
    chosen = edited[edited["decision"].map(lambda d: d is not None and (not isinstance(d, float)) and len(d) > 0)]
    if st.button(_("Save {n:,} decision(s)", n=len(chosen)), disabled=chosen.empty, key="review_save"):
        given = todo.set_index("uid")["given"]  # the stored form, not the words shown
        decisions = [labelsets.encode(d) if sets else d for d in chosen["decision"]]
        _record(store, dataset_id, list(zip(chosen["uid"], chosen["text"], given[chosen["uid"]], decisions,
                                            strict=False)))
        st.rerun()
