"""The live job list on the Train page: polled about once a second by st.fragment,
so progress, ETA and curves refresh without rerunning the page."""
from __future__ import annotations

import time

import streamlit as st

from core import charts
from ui import resources
from ui.safe import md
from ui.widgets import status_badge


def _progress(events: list[dict]) -> tuple[float, str]:
    start = next((e for e in events if e.get("event") == "start"), {})
    steps = [e for e in events if e.get("event") == "step"]
    if not steps:
        return 0.0, "starting (loading the model)..."
    last = steps[-1]
    total = last.get("total_steps") or start.get("total_steps") or last["step"]
    eta = last.get("eta_s")
    words = f"step {last['step']} of {total}"
    if eta:
        words += f", about {int(eta) // 60} min {int(eta) % 60} s left"
    if last.get("samples_per_s"):
        words += f", {last['samples_per_s']:.0f} texts/s"
    return min(1.0, last["step"] / max(1, total)), words


def _job_card(job, runner) -> None:
    events = runner.run(job.id).progress()
    with st.container(border=True):
        c1, c2 = st.columns([4, 1])
        c1.markdown(f"{status_badge(job.status)} **{md(job.name)}** · started "
                    f"{time.strftime('%H:%M:%S', time.localtime(job.created))}")
        if job.status in ("queued", "running") and c2.button("Cancel", key=f"cancel-{job.id}"):
            runner.cancel(job.id)
            st.toast("Cancelling...")
        if job.status == "queued":
            st.caption(f"Waiting: number {runner.queue_position(job.id)} in the queue.")
        elif job.status == "running":
            fraction, words = _progress(events)
            st.progress(fraction, text=words)
        elif job.status == "failed":
            st.error(job.error or "The run failed.")
        elif job.status == "done":
            end = next((e for e in reversed(events) if e.get("event") == "end"), {})
            st.caption(f"Finished in {end.get('seconds', 0):.0f} s.")
        if charts.has_curves(events):
            st.plotly_chart(charts.training_curves({job.model: events}), key=f"curve-{job.id}-{len(events)}")


@st.fragment(run_every=1.0)
def live_jobs(limit: int = 6) -> None:
    runner = resources.runner()
    runner.poll()
    jobs = runner.store.jobs(limit=limit)
    if not jobs:
        st.info("No training runs yet.")
        return
    active = [j for j in jobs if j.status in ("queued", "running")]
    st.caption(f"{len(active)} active job(s); one trains at a time, the rest wait their turn. "
               "You can close this tab: training goes on.")
    for job in jobs:
        _job_card(job, runner)
