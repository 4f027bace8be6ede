"""The sidebar every page shares: the language, the device, the live job counts (no server path: visitors
see the sidebar too)."""
from __future__ import annotations

import streamlit as st

from core.errors import DataError
from core.store import ACTIVE, JobStatus
from ui import i18n, resources
from ui.i18n import _
from ui.safe import md
from ui.widgets import shown_name, status_word


def render() -> None:
    with st.sidebar:
        i18n.switch()
        st.caption(_("Device: {device}", device=resources.device_label()))
        try:
            resources.start_poller()  # the queue moves on the server, with or without open tabs
        except DataError:
            pass  # job_counts says what is wrong with the data folder
        job_counts()


@st.fragment(run_every=3.0)
def job_counts() -> None:
    """Live counts of every active job: a read of the index every 3 s, nothing heavier."""
    try:
        store = resources.store()
        active = store.jobs(ACTIVE)
    except DataError as exc:
        st.caption(md(exc.translated(i18n.lang())))
        return
    running = sum(j.status == JobStatus.RUNNING for j in active)
    st.caption(_("Jobs: {running} running, {queued} queued", running=running, queued=len(active) - running))
    for job in active[:10]:
        st.caption(f"• {md(shown_name(job, resources.runner()))} ({status_word(job.status)})")
    if len(active) > 10:
        st.caption(_("… and {n} more on the Train page", n=len(active) - 10))
