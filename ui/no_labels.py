"""The Data page's "I have no labels yet": texts and the names of their categories; a large language model labels
them as a job (cancel, resume, then saved as a dataset whose test rows a person checks), or the Label page shows
the first texts to label by hand, one of each kind."""
from __future__ import annotations

import streamlit as st

from core.contenders import llm_scoring
from core.data.cleaning import clean, guess_columns
from core.data.datasets import DEMOS
from core.labelling import ladder
from core.labelling.llm_label import LabelSettings, parse_classes, read_shots
from core.store import ACTIVE, JobStatus
from ui import resources, state
from ui.i18n import _, lang
from ui.jobs_panel import progress_words
from ui.llm_settings import llm_choice
from ui.safe import md
from ui.widgets import guard, shown_name, status_badge

TYPES = ["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"]
SHOWN_JOBS = 5  # the newest labelling jobs listed


def no_labels() -> None:
    st.write(_("Bring texts without labels and name their categories: a large language model labels them, or you "
               "label the first ones yourself."))
    up = st.file_uploader(_("Texts (a text column is enough)"), type=TYPES,
                          key=f"nolabel_upload_{state.get(state.NOLABEL_ROUND, 0)}")  # a new one after each queueing
    if st.button(_("Use the demo tickets without their labels")):
        demo = DEMOS.get(lang(), DEMOS["en"])[0]
        data = demo.read_bytes()
        table = resources.read_upload(data, demo.name)
        state.put(state.NOLABEL_UPLOAD, (demo.name, data))
        # its categories, named as its label column names them: the model is then scored against those labels
        st.session_state["nolabel_classes"] = ", ".join(sorted(set(table.df[guess_columns(table.df)[1]])))
    if up is not None:
        state.put(state.NOLABEL_UPLOAD, (up.name, up.getvalue()))
    upload = state.get(state.NOLABEL_UPLOAD)
    if upload:
        with guard("Reading the file"):
            _ask(*upload)
    labelling_jobs()


def _ask(filename: str, data: bytes) -> None:
    table = resources.read_upload(data, filename)
    cols = list(table.df.columns)
    guess = guess_columns(table.df)[0]
    text_col = st.selectbox(_("Text column"), cols, index=cols.index(guess) if guess in cols else 0,
                            key="nolabel_text_col")
    texts = clean(table, text_col, None).df["text"].tolist()
    st.caption(_("{n:,} texts in {file} (empty and repeated ones left out).", n=len(texts), file=md(filename)))
    names = st.text_input(_("Categories, separated by commas"), key="nolabel_classes",
                          placeholder=_("billing, shipping, account, technical, feedback"))
    who = st.radio(_("Who labels first?"), ["llm", "me"], horizontal=True, key="nolabel_who",
                   format_func={"llm": _("A large language model labels every text"),
                                "me": _("I label the first texts myself")}.get)
    if who == "me":
        st.caption(_("The Label page shows one text of each kind first (texts grouped by similarity), so every kind is "
                     "seen early; once a model is trained, the texts it is least sure of come next."))
        if st.button(_("Label the first texts"), type="primary"):
            classes = parse_classes(names)
            state.put(state.FIRST_POOL, {"file": filename, "texts": texts, "classes": classes})
            st.switch_page("pages/label.py")
        return
    llm = llm_choice(prompted=True, examples=False)
    shots_file = st.file_uploader(_("Examples for the prompt (optional): a few labelled texts, a text and a label "
                                    "column"), type=TYPES, key="nolabel_shots")
    st.caption(_("Every text gets a label and a confidence; you can stop the job and resume it later without paying "
                 "twice. Then you check a sample of 100 labels yourself: every score is measured against your labels, "
                 "never against the model's own."))
    if st.button(_("Label {n:,} texts with the language model", n=len(texts)), type="primary"):
        classes = parse_classes(names)
        llm_scoring.described(llm.descriptions, classes)  # a line naming no category: said now, not in the job
        shots = [list(e) for e in read_shots(shots_file.getvalue(), classes, shots_file.name)] if shots_file else []
        settings = LabelSettings(classes, llm.llm, llm.descriptions, llm.task, shots)
        ladder.submit_labelling(resources.runner(), data, filename, settings, text_col, lang(), llm.api_key)
        state.put(state.NOLABEL_UPLOAD, None)
        state.put(state.NOLABEL_ROUND, state.get(state.NOLABEL_ROUND, 0) + 1)  # the form starts empty again
        st.toast(_("Labelling queued."))
        st.rerun()


@st.fragment(run_every=2.0)
def labelling_jobs() -> None:
    """The newest labelling jobs: progress while they run; cancel, resume, or save the labels as a dataset."""
    store, runner = resources.store(), resources.runner()
    jobs = store.jobs(job_type=ladder.JOB_TYPE, limit=SHOWN_JOBS, archived=False)
    if not jobs:
        return
    st.subheader(_("Labelling by a language model"))
    resumed = {runner.folder(j.id).request().get("resume_from") for j in jobs if runner.folder(j.id).request_path.is_file()}
    for job in jobs:
        with st.container(border=True):
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(f"{status_badge(job.status)} **{md(shown_name(job, runner))}**")
            with guard("Updating the labelling"):
                _job_actions(job, runner, c2, resumed)


def _job_actions(job, runner, col, resumed: set) -> None:
    if job.status in ACTIVE:
        if job.status == JobStatus.RUNNING:
            st.progress(*progress_words(runner.folder(job.id).progress()))
        else:
            st.caption(_("Waiting for its turn in the queue."))
        if col.button(_("Cancel"), key=f"cancel-label-{job.id}"):
            runner.cancel(job.id)
    elif job.status in (JobStatus.CANCELLED, JobStatus.FAILED) and job.id not in resumed:
        if job.error:
            st.error(md(job.error))
        st.caption(_("What was labelled is kept; resuming asks only for the rest."))
        if col.button(_("Resume"), key=f"resume-{job.id}"):
            ladder.resume_labelling(runner, job.id)
            st.rerun(scope="app")
    elif job.status == JobStatus.DONE and not job.dataset_id:
        if col.button(_("Use these labels"), key=f"use-{job.id}", type="primary"):
            dataset_id = ladder.save_labelled(runner.store, job.id)
            state.put(state.DATASET_ID, dataset_id)
            state.put(state.PICK_NEXT, dataset_id)
            st.rerun(scope="app")
    elif job.dataset_id:
        st.caption(_("Saved as a dataset; check its test sample below."))
