"""The sidebar every page shares: device, the live job counts, the data directory."""
from __future__ import annotations

import streamlit as st

from core.errors import DataError
from ui import resources
from ui.safe import md


def render() -> None:
    with st.sidebar:
        st.caption(f"Device: {resources.device_label()}")
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
        active = store.jobs(("running", "queued"))
    except DataError as exc:
        st.caption(md(str(exc)))
        return
    running = sum(j.status == "running" for j in active)
    st.caption(f"Jobs: {running} running, {len(active) - running} queued")
    for job in active[:10]:
        st.caption(f"• {md(job.name)} ({job.status})")
    if len(active) > 10:
        st.caption(f"… and {len(active) - 10} more on the Train page")
    st.caption(f"Data: {md(store.root)}")
