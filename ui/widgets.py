"""Small rendering helpers shared by pages. User text goes through st.text /
st.dataframe / st.code, never markdown with unsafe HTML."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from core.errors import DataError
from ui.safe import md

log = logging.getLogger("tunelab")


@contextmanager
def guard(what: str = "That"):
    """Show a DataError's sentence in st.error; log any other exception and show a
    calm sentence instead of a traceback."""
    try:
        yield
    except DataError as exc:
        st.error(md(str(exc)))
    except Exception:  # a bug: the details go to the server log, not to the user
        log.exception("unexpected error")
        st.error(f"{what} failed because of a problem on our side; the details are in the server log. "
                 "Please try again, or report it.")


def report_in_words(report: dict) -> None:
    """The cleaning report as plain sentences (what was kept, dropped and why)."""
    kept = report["rows"]
    st.markdown(f"**{kept:,}** rows are ready to use, out of **{report['rows_in']:,}** in the file.")
    reasons = {"empty_text": "had no text", "missing_label": "had no label", "duplicates": "were exact duplicates",
               "malformed": "had the wrong number of columns"}
    dropped = [f"{n:,} {reasons[k]}" for k, n in report["dropped"].items() if n]
    if dropped:
        st.markdown("Left out: " + "; ".join(dropped) + ".")
    for warning in report.get("warnings", []):
        st.warning(md(warning))


def status_badge(status: str) -> str:
    return {"queued": ":orange-badge[queued]", "running": ":blue-badge[running]", "done": ":green-badge[done]",
            "failed": ":red-badge[failed]", "cancelled": ":gray-badge[cancelled]"}.get(status, status)


def run_labels(store) -> dict[str, str]:
    """{run id: readable name} of finished runs, newest first; a shared name gets the id's end."""
    jobs = store.jobs(("done",), kind="train")
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j.name] = counts.get(j.name, 0) + 1
    return {j.id: j.name if counts[j.name] == 1 else f"{j.name} ({j.id[-6:]})" for j in jobs}


def finished_runs(store, empty_hint: str) -> dict[str, str]:
    """{run id: label} of finished runs, newest first; with none, show the hint and stop the page."""
    labels = run_labels(store)
    if not labels:
        st.info(empty_hint)
        st.stop()
    return labels
