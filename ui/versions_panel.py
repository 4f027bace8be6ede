"""The Data page's versions: lineage with the runs on each version, the versions table, CSV downloads, the
corrections queue (save as the next version, or dismiss), and "Retrain on vN" for the runs of this dataset."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import feedback, versions
from core.data.versions import SOURCES
from core.store import JobStatus
from ui import resources
from ui.i18n import _, lang, when
from ui.safe import md
from ui.widgets import guard

FLASH = "versions_flash"  # the sentence of the version just saved, shown once after the page reruns
NEW_VERSION = "versions_new"  # the version just saved: the version picker shows it


def source_word(source: str) -> str:
    """Where a change came from, in the reader's language ("label review")."""
    return _(SOURCES[source]) if source in SOURCES else source


def runs_by_version(store, dataset_id: str) -> dict[int, list]:
    """Finished runs of this dataset, by the version they trained on."""
    out: dict[int, list] = {}
    runner = resources.runner()
    for job in store.jobs((JobStatus.DONE,), job_type="train"):
        if job.dataset_id == dataset_id:
            tag = runner.folder(job.id).data_version()
            out.setdefault(tag["version"] if tag else 1, []).append(job)
    return out


def versions_panel(dataset_id: str) -> None:
    store = resources.store()
    history = versions.versions(store, dataset_id)
    runs = runs_by_version(store, dataset_id)
    st.subheader(_("Versions"))
    if st.session_state.get(FLASH):
        st.success(md(st.session_state.pop(FLASH)), icon=":material/check_circle:")
    st.text(" → ".join(f"v{v.n}" + (" " + _("(from v{n})", n=v.parent) if v.parent not in (None, v.n - 1) else "")
                       + (" · " + _("{n} run(s)", n=len(runs[v.n])) if runs.get(v.n) else "") for v in history))
    table = pd.DataFrame([{_("version"): v.tag, _("rows"): v.rows, _("classes"): len(v.classes),
                           _("what changed"): v.summary(lang()), _("saved"): when(v.created)} for v in reversed(history)])
    st.dataframe(table, hide_index=True)
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    if NEW_VERSION in st.session_state:
        st.session_state["version_pick"] = st.session_state.pop(NEW_VERSION)
    pick = c1.selectbox(_("Version"), [v.n for v in reversed(history)], format_func=lambda n: f"v{n}",
                        key="version_pick")
    c2.download_button(_("Download v{n} (CSV)", n=pick), versions.export_csv(store, dataset_id, pick),
                       f"dataset-v{pick}.csv", "text/csv")
    log = versions.changes(store, dataset_id, pick)
    if log:
        with st.expander(_("The {n} change(s) in v{version}", n=len(log), version=pick)):
            frame = pd.DataFrame(log)[["uid", "text", "old", "new", "source"]]
            frame["source"] = [source_word(s) for s in frame["source"]]
            st.dataframe(frame.rename(columns={"uid": _("row"), "text": _("text"), "old": _("old label"),
                                               "new": _("new label"), "source": _("from")}), hide_index=True)
    _queue(store, dataset_id, history[-1])
    _retrain(dataset_id, history[-1], runs)


def _queue(store, dataset_id: str, newest) -> None:
    items = feedback.with_rows(store, dataset_id, feedback.pending(store, dataset_id))
    st.subheader(_("Corrections waiting"))
    if not items:
        st.caption(_("None. Corrections come from the label review, from Predict and the error explorer "
                     "(\"wrong? pick the right label\"), from the Label page, and from the API's feedback."))
        return
    frame = pd.DataFrame([{_("from"): source_word(i["source"]), _("row"): i["uid"], _("text"): i["text"],
                           _("old label"): i["old"] if i["old"] is not None else _("(new text)"),
                           _("new label"): i["label"]} for i in items])
    event = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="multi-row", key="queue_table")
    chosen = [items[i]["id"] for i in (event.selection.rows if event else [])]
    c1, c2 = st.columns(2)
    label = (_("Save {n} selected as v{version}", n=len(chosen), version=newest.n + 1) if chosen else
             _("Save all {n} as v{version}", n=len(items), version=newest.n + 1))
    if c1.button(label, type="primary", key="queue_apply"):
        with guard("Saving the new version"):
            version = feedback.apply(store, dataset_id, chosen or None)
            st.session_state[FLASH] = version.summary(lang())  # shown after the rerun, above the versions
            st.session_state[NEW_VERSION] = version.n  # the picker moves to it on the rerun (set before it draws)
            st.rerun()
    if c2.button(_("Dismiss the selected"), disabled=not chosen, key="queue_dismiss"):
        with guard("Dismissing"):
            feedback.dismiss(store, dataset_id, chosen)
            st.rerun()


def _recipe(job) -> tuple:
    """What a retrain repeats: the run's config without its name."""
    config = resources.runner().folder(job.id).config()
    return tuple(sorted((k, str(v)) for k, v in (config.recipe() if config else {"id": job.id}).items()))


def _retrain(dataset_id: str, newest, runs: dict[int, list]) -> None:
    done = {_recipe(j) for j in runs.get(newest.n, [])}  # a recipe already run on the newest version is not offered
    older = [j for n, jobs in sorted(runs.items()) if n != newest.n for j in jobs if _recipe(j) not in done]
    if newest.parent is None or not older:
        return
    st.subheader(_("Retrain on v{n}", n=newest.n))
    names = {j.id: resources.runner().folder(j.id).display_name(lang()) for j in older}
    picked = st.multiselect(_("Repeat these runs' recipes on the newest version"), [j.id for j in older],
                            default=[j.id for j in older if j.id in {x.id for x in runs.get(newest.parent, [])}],
                            format_func=names.get, key="retrain_pick")
    if st.button(_("Retrain on v{n}", n=newest.n), type="primary", disabled=not picked, key="retrain"):
        with guard("Queueing the runs"):
            resources.runner().retrain(picked, dataset_id, newest.n, lang())
            st.success(_("Queued {n} run(s) on v{version}; Evaluate compares them with the earlier ones.",
                         n=len(picked), version=newest.n))
            st.page_link("pages/train.py", label=_("Watch them on Train"), icon=":material/arrow_forward:")
