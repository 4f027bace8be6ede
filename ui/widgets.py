"""Small rendering helpers shared by pages. User text goes through st.text /
st.dataframe / st.code, never markdown with unsafe HTML."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from core.errors import DataError
from core.language import mostly_not_english, sentence
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
    if sentence(report.get("language")):
        st.markdown(md(sentence(report["language"])) + (" Train preselects the multilingual model for them."
                                                       if mostly_not_english(report["language"]) else ""))


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


CHECKPOINTS = {"default": "English: MiniLM (embedded, fast)", "multilingual": "Multilingual: E5-small (embedded, ~100 languages)",
               "other": "Another model: a local folder or a Hugging Face Hub id"}


def checkpoint_choice(language: dict | None) -> str:
    """The Transformer checkpoint for the Train page: the multilingual one preselected, with the reason, when
    most texts are not in English."""
    foreign = mostly_not_english(language)
    pick = st.radio("Transformer checkpoint", list(CHECKPOINTS), format_func=CHECKPOINTS.get, index=int(foreign),
                    horizontal=True, key=f"checkpoint_{int(foreign)}")
    if foreign:
        st.caption(md(f"{sentence(language)} The multilingual model is preselected: MiniLM's English vocabulary "
                      "turns much of such text into unknown tokens."))
    if pick == "other":
        return st.text_input("Folder or Hub id", placeholder="/models/my-bert or bert-base-chinese") or "default"
    return pick
