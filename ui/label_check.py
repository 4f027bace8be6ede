"""The Data page's "Check the labels" step: a queued job (core.trust.quality through the CLI), its
progress, then the ranked suspicious rows with the suggested label and each row's explanation."""
from __future__ import annotations

import streamlit as st

from core.data import versions
from core.store import ACTIVE, JobStatus
from core.trust.quality import verdict
from ui import resources, state
from ui.i18n import _, lang
from ui.jobs_panel import progress_words
from ui.review import review
from ui.safe import md
from ui.widgets import guard


def label_check(dataset_id: str) -> None:
    st.subheader(_("Check the labels"))
    st.caption(_("Two quick models that never saw each row (5-fold) vote on its label; the rows they disagree "
                 "with most are listed first."))  # no time promised: it varies 6x with the machine's load
    jobs = state.get(state.LABEL_CHECKS, {})
    if dataset_id not in jobs:  # a new session (reload, another tab): the newest check of this dataset comes back
        past = [j for j in resources.store().jobs(job_type="quality", limit=200)
                if j.dataset_id == dataset_id and j.status != JobStatus.CANCELLED]
        if past:
            jobs[dataset_id] = past[0].id
            state.put(state.LABEL_CHECKS, jobs)
    newest = versions.latest(resources.store(), dataset_id).n
    checked = resources.runner().folder(jobs[dataset_id]).request().get("version") if dataset_id in jobs else None
    if st.button(_("Check the labels of v{n}", n=newest), disabled=checked == newest):
        with guard("Starting the check"):
            jobs[dataset_id] = resources.runner().submit_label_check(dataset_id, lang())
            state.put(state.LABEL_CHECKS, jobs)
    if dataset_id in jobs:
        if checked not in (None, newest):  # an older version's check, said so rather than passed off as this one's
            st.info(_("These results are from the check of v{old}; the newest version is v{newest}.", old=checked,
                      newest=newest))
        _result(dataset_id, jobs[dataset_id])


@st.fragment(run_every=1.0)
def _live(job_id: str) -> None:
    job = resources.store().get_job(job_id)
    if job.status not in ACTIVE:
        st.rerun(scope="app")
    st.progress(*progress_words(resources.runner().folder(job_id).progress()))


def _result(dataset_id: str, job_id: str) -> None:
    job = resources.store().get_job(job_id)
    if job is None:
        return
    if job.status in ACTIVE:
        _live(job_id)
        return
    if job.status != JobStatus.DONE:
        st.error(md(job.error) if job.error else _("The label check did not finish."))
        return
    report = resources.runner().folder(job_id).label_report() or {}
    st.write(md(verdict(report.get("rows", 0), len(report.get("issues", [])), lang())))
    for c in report.get("conflicts", [])[:5]:
        st.warning(_("The same text has different labels ({labels}): {text}", labels=md(", ".join(c["labels"])),
                     text=md(c["text"][:120])))
    if report.get("leakage"):
        st.warning(_("{n} text(s) would land in both the training and the test rows, which makes test scores look "
                     "better than they are.", n=len(report["leakage"])))
    if report.get("small_classes"):
        st.warning(_("Too few examples to learn: {classes}",
                     classes=md(", ".join(f"{k} ({v})" for k, v in report["small_classes"].items()))))
    version = resources.runner().folder(job_id).request().get("version") or 1
    review(dataset_id, report, version, _quick_model(dataset_id, version) if report.get("issues") else None)


def _quick_model(dataset_id: str, version: int):
    """A TF-IDF baseline on the whole version (seconds), only to show which words point where."""
    with st.spinner(_("Training a quick model to explain the rows...")):
        return _cached_quick_model(dataset_id, version)


@st.cache_resource(max_entries=4, show_spinner=False)
def _cached_quick_model(dataset_id: str, version: int):
    from core.contenders.baseline import TfidfClassifier

    df = versions.rows(resources.store(), dataset_id, version)
    return resources.LockedModel(TfidfClassifier().fit(df["text"], df["label"]))
