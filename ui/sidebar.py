"""The sidebar every page shares: device, the job queue, the data directory."""
from __future__ import annotations

import streamlit as st

from ui import resources


def render() -> None:
    with st.sidebar:
        st.caption(f"Device: {resources.device_label()}")
        runner = resources.runner()
        runner.poll()  # every page view moves the queue along, even with no Train page open
        active = runner.store.jobs(("running", "queued"))
        running = sum(j.status == "running" for j in active)
        st.caption(f"Jobs: {running} running, {len(active) - running} queued")
        for job in active:
            st.caption(f"• {job.name} ({job.status})")
        st.caption(f"Data: `{runner.store.root}`")
