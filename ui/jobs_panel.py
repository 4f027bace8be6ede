"""The job list on the Train page. Active jobs refresh about once a second in a fragment
(one read of the index and of each running job's progress file); finished jobs are drawn
once per page run, ten to a page, so an idle tab costs next to nothing."""
from __future__ import annotations

import streamlit as st

from core import charts
from core.store import ACTIVE, FINAL, JobStatus
from ui import resources, state
from ui.i18n import _, lang, when
from ui.safe import md
from ui.widgets import shown_name, status_badge

PAGE = 10  # finished jobs per page


def progress_words(events: list[dict]) -> tuple[float, str]:
    start = next((e for e in events if e.get("event") == "start"), {})
    steps = [e for e in events if e.get("event") == "step"]
    if not steps:
        return 0.0, _("starting (loading the model)...")
    last = steps[-1]
    total = last.get("total_steps") or start.get("total_steps") or last["step"]
    eta = last.get("eta_s")
    words = _("step {step} of {total}", step=last["step"], total=total)
    if eta:
        words += _(", about {min} min {s} s left", min=int(eta) // 60, s=int(eta) % 60)
    if last.get("samples_per_s"):
        words += _(", {n:.0f} texts/s", n=last["samples_per_s"])
    return min(1.0, last["step"] / max(1, total)), words


def _header(job, runner) -> None:
    c1, c2 = st.columns([4, 1])
    c1.markdown(f"{status_badge(job.status)} **{md(shown_name(job, runner))}** · "
                + _("created {when}", when=md(when(job.created, seconds=True))))
    if job.status in ACTIVE and c2.button(_("Cancel"), key=f"cancel-{job.id}"):
        runner.cancel(job.id)
        st.toast(_("Cancelling..."))


def _active_card(job, runner, position: int) -> None:
    with st.container(border=True):
        _header(job, runner)
        if job.status == JobStatus.QUEUED:
            st.caption(_("Waiting: number {n} in the queue.", n=position))
            return
        events = runner.folder(job.id).progress()
        fraction, words = progress_words(events)
        st.progress(fraction, text=words)
        if charts.has_curves(events):
            st.plotly_chart(charts.training_curves({runner.folder(job.id).short_name(lang()): events}, lang()),
                            key=f"curve-{job.id}-{len(events)}")


def _finished_card(job, runner) -> None:
    from ui.tidy import run_actions

    with st.container(border=True):
        _header(job, runner)
        run_actions(job, st.container())
        events = runner.folder(job.id).progress()
        if job.status == JobStatus.FAILED:
            st.error(md(job.error) if job.error else _("The run failed."))
        elif job.status == JobStatus.DONE:
            end = next((e for e in reversed(events) if e.get("event") == "end"), {})
            test = (runner.folder(job.id).metrics() or {}).get("test")
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.caption(_("Finished in {s:.0f} s: {right} of {n} test texts right ({acc:.0%}).",
                         s=end.get("seconds", 0), right=round(test["accuracy"] * test["n"]), n=test["n"],
                         acc=test["accuracy"]) if test else _("Finished in {s:.0f} s.", s=end.get("seconds", 0)))
            c2.page_link("pages/evaluate.py", label=_("Evaluate"), icon=":material/monitoring:")
        if charts.has_curves(events):
            st.plotly_chart(charts.training_curves({runner.folder(job.id).short_name(lang()): events}, lang()), key=f"curve-{job.id}")


@st.fragment(run_every=1.0)
def live_jobs() -> None:
    """Every queued and running job, oldest first. When one finishes, the whole page reruns
    once so the finished list shows it."""
    runner = resources.runner()
    active = sorted(runner.store.jobs(ACTIVE, limit=100_000), key=lambda j: j.created)
    ids = [j.id for j in active]
    before = state.get(state.ACTIVE_JOBS)
    state.put(state.ACTIVE_JOBS, ids)
    if before is not None and set(before) - set(ids):
        st.rerun(scope="app")
    if not active:
        st.caption(_("No job is running or waiting."))
        return
    st.caption(_("{n} active job(s); one trains at a time, the rest wait their turn. You can close this tab: "
                 "training goes on.", n=len(active)))
    queued = [j for j in active if j.status == JobStatus.QUEUED]
    for job in active:
        _active_card(job, runner, queued.index(job) + 1 if job in queued else 0)


def finished_jobs() -> None:
    """Finished, failed and cancelled training runs, newest first, a page at a time (file classifications show on
    Predict, label checks on Data: they share the queue, not this list)."""
    store = resources.store()
    show = st.toggle(_("Show archived runs"), key="show_archived") if store.count_jobs(FINAL, "train", True) else False
    archived = None if show else False
    total = store.count_jobs(FINAL, job_type="train", archived=archived)
    if not total:
        st.info(_("No finished runs yet."))
        return
    pages = -(-total // PAGE)
    page = st.number_input(_("Page (of {n})", n=pages), 1, pages, 1, key="finished_page") if pages > 1 else 1
    st.caption(_("{n} finished job(s), newest first.", n=total))
    runner = resources.runner()
    for job in store.jobs(FINAL, limit=PAGE, offset=(page - 1) * PAGE, job_type="train", archived=archived):
        _finished_card(job, runner)


def file_jobs() -> None:
    """The files this session sent to be classified: live while any is active, then drawn once."""
    ids = state.get(state.FILE_JOBS, [])
    jobs = [j for j in (resources.store().get_job(i) for i in ids) if j is not None]
    if any(j.status in ACTIVE for j in jobs):
        _live_file_jobs()
    elif jobs:
        _file_cards(jobs)


@st.fragment(run_every=1.0)
def _live_file_jobs() -> None:
    store = resources.store()
    jobs = [j for j in (store.get_job(i) for i in state.get(state.FILE_JOBS, [])) if j is not None]
    if not any(j.status in ACTIVE for j in jobs):
        st.rerun(scope="app")  # all settled: draw the results once, outside the timer
    _file_cards(jobs)


def _file_cards(jobs) -> None:
    runner = resources.runner()
    for job in jobs:
        with st.container(border=True):
            _header(job, runner)
            run = runner.folder(job.id)
            if job.status == JobStatus.RUNNING:
                st.progress(*progress_words(run.progress()))
            elif job.status == JobStatus.FAILED:
                st.error(md(job.error) if job.error else _("Classifying the file failed."))
            elif job.status == JobStatus.DONE and run.labelled_path.is_file():
                st.download_button(_("Download the labelled file (CSV)"), run.labelled_path.read_bytes(),
                                   "predictions.csv", "text/csv", key=f"dl-{job.id}")
