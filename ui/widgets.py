"""Small rendering helpers shared by pages. User text goes through st.text /
st.dataframe / st.code, never markdown with unsafe HTML."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from core.data.cleaning import multi_sentence, warnings
from core.data.language import mostly_not_english, sentence
from core.errors import DataError
from core.store import JobStatus
from ui.i18n import N_, _, lang
from ui.safe import md

log = logging.getLogger("tunelab")


@contextmanager
def guard(what: str = N_("That")):
    """Show a DataError's sentence in st.error, in the reader's language; log any other exception and
    show a calm sentence instead of a traceback. `what` is an English message (translated here)."""
    try:
        yield
    except DataError as exc:
        st.error(md(exc.translated(lang())))
    except Exception:  # a bug: the details go to the server log, not to the user
        log.exception("unexpected error")
        st.error(_("{what} failed because of a problem on our side; the details are in the server log. "
                   "Please try again, or report it.", what=_(what)))


DROPPED = {"empty_text": N_("had no text"), "missing_label": N_("had no label"),
           "duplicates": N_("were exact duplicates"), "malformed": N_("had the wrong number of columns")}


def report_in_words(report: dict) -> None:
    """The cleaning report as plain sentences (what was kept, dropped and why)."""
    st.markdown(_("**{kept:,}** rows are ready to use, out of **{total:,}** in the file.", kept=report["rows"],
                  total=report["rows_in"]))
    dropped = [f"{n:,} {_(DROPPED[k])}" for k, n in report["dropped"].items() if n]
    if dropped:
        st.markdown(_("Left out: {reasons}.", reasons="; ".join(dropped)))
    several = multi_sentence(report["multi_label"], lang()) if report.get("multi_label") else None
    if several:  # texts with several labels: information, not a warning
        st.info(md(several))
    for warning in warnings(report, lang()):
        if warning != several:
            st.warning(md(warning))
    said = sentence(report.get("language"), lang())
    if said:
        st.markdown(md(said) + (" " + _("Train preselects the multilingual model for them.")
                                if mostly_not_english(report["language"]) else ""))


STATUS = {JobStatus.QUEUED: N_("queued"), JobStatus.RUNNING: N_("running"), JobStatus.DONE: N_("done"),
          JobStatus.FAILED: N_("failed"), JobStatus.CANCELLED: N_("cancelled")}


def shown_name(job, runner) -> str:
    """A job's name in the reader's language: a training run's generated name is made again from its parts."""
    return runner.folder(job.id).display_name(lang()) if job.job_type == "train" else job.name


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def status_word(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else status


def status_badge(status: str) -> str:
    colour = {JobStatus.QUEUED: "orange", JobStatus.RUNNING: "blue", JobStatus.DONE: "green",
              JobStatus.FAILED: "red"}.get(status, "gray")
    return f":{colour}-badge[{md(status_word(status))}]"


CHECKPOINTS = {"default": N_("English: MiniLM (embedded, fast)"),
               "multilingual": N_("Multilingual: E5-small (embedded, ~100 languages)"),
               "other": N_("Another model: a local folder or a Hugging Face Hub id")}


def checkpoint_choice(language: dict | None) -> str:
    """The Transformer checkpoint for the Train page: the multilingual one preselected, with the reason, when
    most texts are not in English."""
    foreign = mostly_not_english(language)
    names = {k: _(v) for k, v in CHECKPOINTS.items()}  # made in the script run (a format_func also runs outside it)
    pick = st.radio(_("Transformer checkpoint"), list(names), format_func=names.get,
                    index=int(foreign), horizontal=True, key=f"checkpoint_{int(foreign)}")
    if foreign:
        st.caption(md(sentence(language, lang()) + " " + _("The multilingual model is preselected: MiniLM's English "
                                                           "vocabulary turns much of such text into unknown tokens.")))
    if pick == "other":
        return st.text_input(_("Folder or Hub id"), placeholder=_("/models/my-bert or bert-base-chinese")) or "default"
    return pick
