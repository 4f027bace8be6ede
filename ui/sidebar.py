"""The sidebar every page shares: device, the job queue, the data directory."""
from __future__ import annotations

import streamlit as st

from ui import resources


def render() -> None:
    with st.sidebar:
        st.caption(f"Device: {resources.device_label()}")
        runner = resources.runner()
        runner.poll()  # every page view moves the queue along, even with no Train page open
        running = runner.store.jobs(("running",))
        queued = runner.store.jobs(("queued",))
        st.caption(f"Jobs: {len(running)} running, {len(queued)} queued")
        for job in running + queued:
            st.caption(f"• {job.name} ({job.status})")
        st.caption(f"Data: `{runner.store.root}`")
