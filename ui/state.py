"""Every st.session_state key in one place, so pages cannot collide or typo them.
Per-user state lives only here (one browser session each), never in module globals."""
from __future__ import annotations

import streamlit as st

DATASET_ID = "dataset_id"  # the dataset chosen on the Data page
CLASSIFIED = "classified"  # the text last classified on Predict: its results stay up for a correction
TO_LABEL = "to_label"  # (dataset id, ranked texts) the Label page asks labels for; decided ones leave it
LABEL_ROUNDS = "label_rounds"  # Adds so far: the Label table's key, so its labels start empty after each
LABEL_ADDED = "label_added"  # how many the last Add queued: its confirmation after the rerun
LABEL_SET_ASIDE = "label_set_aside"  # texts marked "none of these labels" in this session: not asked again
UPLOAD = "upload"  # (filename, bytes) of the file being mapped on the Data page
SAVED_ROWS = "saved_rows"  # rows of the dataset just saved: the Data page's confirmation after its rerun
UPLOADS_SAVED = "uploads_saved"  # datasets saved in this session: the Data page's uploader key, so a save clears it
SELECTED_RUNS = "selected_runs"  # (run ids offered, run ids picked) on Evaluate
TRAIN_KINDS = "train_kinds"  # contender kind -> ticked on Train (kept across page visits)
CHAT = "chat_messages"  # [{"role", "content", "stats"?, "badge"?}]
CHAT_PARTIAL = "chat_partial"  # the answer streamed so far, so a Stop (a rerun) loses nothing
PENDING_PROMPT = "pending_prompt"  # a prompt queued by "Explain my results"
PAGE = "page"  # the page this session ran last (its script hash)
ARRIVED = "arrived"  # this run shows a different page than the last one: the Data page drops a stale upload
NAV_CHECKED = "nav_checked"  # ui.boot ran once in this session
LABEL_CHECKS = "label_checks"  # dataset id -> the label-check job this session started for it
FILE_JOBS = "file_jobs"  # ids of the file-classification jobs this session started (only it sees them)
ACTIVE_JOBS = "active_jobs"  # ids of the jobs the live panel drew last time: a change reruns the page
LANG = "lang"  # the interface language ("en", "zh"): the sidebar switch, or ?lang= in the URL
NOLABEL_UPLOAD = "nolabel_file"  # (filename, bytes) of texts without labels on the Data page
NOLABEL_ROUND = "nolabel_round"  # labellings queued in this session: the uploader's key, so each starts it empty
FIRST_POOL = "first_pool"  # {"file", "texts", "classes"}: texts to label by hand, the first ones by variety (Label)
PICK_NEXT = "pick_next"  # a dataset the Data page shows on its next run (one just saved by a fragment)
CHAT_VISITOR_KEY = "chat_visitor_key"  # a visitor's own API key for a server they typed: this session only


def get(key: str, default=None):
    return st.session_state.get(key, default)


def put(key: str, value) -> None:
    st.session_state[key] = value
