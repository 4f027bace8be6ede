"""Which runtime answers a run's predictions, and the export job that makes a fine-tune fast on CPUs.

The export (core.deploy.openvino: OpenVINO int8, checked on the run's test rows) runs as a queued job; its
files land in the model's own folder, where Predict, file prediction and the API find them.
"""
from __future__ import annotations

import streamlit as st

from core.deploy.runtimes import EAGER, runtime_name, verified
from core.store import ACTIVE, JobStatus
from ui import resources
from ui.i18n import _, lang
from ui.jobs_panel import progress_words
from ui.safe import md
from ui.widgets import guard

EXPORT_JOB = "export"  # core.job_types.EXPORT's name


def runtime_caption(runtime: str) -> None:
    """One line under a prediction: what answered it (nothing for the linear contenders: there is no choice)."""
    if runtime == EAGER:
        st.caption(_("Answered by the trained model in PyTorch; *Make it fast on CPUs*, below, exports it."))
    elif runtime:
        st.caption(_("Answered by its {runtime} export, checked on the test rows.", runtime=runtime))


def _last_export(run_id: str):
    """The newest export job of this model, or None."""
    runner = resources.runner()
    for job in resources.store().jobs(job_type=EXPORT_JOB, limit=200):
        if runner.folder(job.id).request().get("model_job") == run_id:
            return job
    return None


def fast_runtime(store, run_id: str) -> None:
    """For a fine-tune: what answers now, the last export's outcome, and the button that queues an export."""
    run_dir = store.run_dir(run_id)
    runtime = runtime_name(run_dir)
    if not runtime:
        return
    job = _last_export(run_id)
    if job is not None and job.status in ACTIVE:
        _live(job.id)
        return
    if runtime == EAGER:
        st.markdown(_("This fine-tune answers in PyTorch. An **OpenVINO int8** export answers about 3x faster on a "
                      "CPU; it is checked on the test rows and refused if it loses half a point of accuracy."))
    else:
        folder, precision, _file, report = verified(run_dir)[0]
        st.markdown(_("Predict, file prediction and the API answer with its **{runtime}** export: accuracy {acc:.1%} "
                      "on the test rows, the trained model {eager:.1%}.", runtime=runtime,
                      acc=report[precision]["accuracy"], eager=report["eager_accuracy"]))
    if job is not None:
        _outcome(job)
    if runtime != "OpenVINO int8" and st.button(_("Make it fast on CPUs"), key=f"export-{run_id}"):
        with guard("Queueing the export"):
            resources.runner().submit_export(run_id, lang=lang())
            st.rerun()


def _outcome(job) -> None:
    end = resources.runner().folder(job.id).end_event() or {}
    if job.status == JobStatus.FAILED:
        st.error(md(job.error) if job.error else _("The export failed."))
    elif job.status == JobStatus.DONE and end.get("refused"):
        st.info(_("int8 lost accuracy on the test rows, so the full-precision export answers instead."))


@st.fragment(run_every=1.0)
def _live(job_id: str) -> None:
    job = resources.store().get_job(job_id)
    if job is None or job.status not in ACTIVE:
        st.rerun(scope="app")  # settled: draw the outcome once, outside the timer
    events = resources.runner().folder(job_id).progress()
    steps = [e for e in events if e.get("event") == "step"]
    if job.status == JobStatus.QUEUED or not steps:
        st.progress(0.0, _("Export queued; it starts when the jobs before it finish."))
        return
    doing = {"convert": _("converting the model"), "check": _("checking it on the test rows"),
             "quantise": _("quantising to int8 on the model's training texts")}
    fraction, _words = progress_words(events)
    st.progress(fraction, _("Making it fast on CPUs: {doing}...", doing=doing.get(steps[-1].get("doing"), "")))
