"""Data: upload a file (or the demo set, or a Hub dataset), map columns, read the report, save."""
import streamlit as st

from core import charts
from core.data.cleaning import guess_columns
from core.data.datasets import DEMOS, MULTI_DEMOS, hub_dataset_bytes, save_dataset, split_sizes
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.check_sample import check_panel
from ui.i18n import N_, _, lang
from ui.label_check import label_check
from ui.label_sets import several_labels
from ui.no_labels import no_labels
from ui.safe import md
from ui.tidy import archived_datasets, dataset_actions
from ui.versions_panel import versions_panel
from ui.widgets import guard, report_in_words

ensure_app_navigation()
st.title(_("Data"))
store = resources.store_or_none()  # a read-only data folder: the upload part below still works
saved_datasets = store.datasets() if store else []
if not saved_datasets:  # a first screen that says what Tunelab does and what to do, with the demo one click away
    with st.container(border=True):
        st.markdown(_("**Tunelab turns labelled texts into a classifier you can trust**, in four steps: **Data** "
                      "(bring texts and their labels) → **Train** (several models side by side) → **Evaluate** "
                      "(which one to use, and why) → **Predict** (use it on new texts, or as an API)."))
        st.caption(_("No labels yet? Choose *I have no labels yet* below: a language model labels your texts, or you "
                     "label the first ones yourself."))
        if st.button(_("Try it with the demo support tickets"), type="primary", icon=":material/play_arrow:"):
            demo = DEMOS.get(lang(), DEMOS["en"])[0]
            state.put(state.UPLOAD, (demo.name, demo.read_bytes()))
def _without_labels(filename: str, data: bytes) -> None:
    """The upload moves to "I have no labels yet" (a callback: it sets the mode's widget before it is drawn)."""
    st.session_state["data_mode"] = "unlabelled"
    state.put(state.NOLABEL_UPLOAD, (filename, data))
    state.put(state.UPLOAD, None)


DATASET_PICK = "data_pick"  # the "Your datasets" box: set on save, so the new dataset is the one shown
if state.get(state.PICK_NEXT):  # a dataset saved by the labelling panel (a fragment): shown on this run
    st.session_state[DATASET_PICK] = st.session_state.pop(state.PICK_NEXT)
MODES = {"labelled": _("My texts have labels"), "unlabelled": _("I have no labels yet")}
mode = st.segmented_control(_("Your texts"), list(MODES), format_func=MODES.get, default="labelled",
                            key="data_mode") or "labelled"
upload = None  # the labelled file being mapped, if any
if mode == "unlabelled":
    no_labels()
else:
    st.write(_("Bring labelled texts: one column of text, one column with each text's category."))
    DEMO_LANGUAGES = {"en": N_("English"), "zh": N_("Chinese")}
    SOURCES = {"upload": _("Upload a file"), "demo": _("Demo dataset"), "hub": _("Hugging Face Hub")}
    if state.get(state.ARRIVED):  # a later visit starts clean: an unsaved file's preview does not linger
        state.put(state.UPLOAD, None)
    # a new source drops the previous file's preview and Save button; clicking the chosen source again (which
    # deselects a segmented control) keeps it
    source = st.segmented_control(_("Source"), list(SOURCES), format_func=SOURCES.get, default="upload",
                                  key="data_source", on_change=lambda: state.put(state.UPLOAD, None)) or "upload"

    if source == "upload":
        up = st.file_uploader(_("CSV, TSV, TXT, Excel, JSON, JSONL or Parquet"),
                              type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"],
                              key=f"data_upload_{state.get(state.UPLOADS_SAVED, 0)}",
                              on_change=lambda: state.put(state.UPLOAD, None))  # removed (or replaced): no stale preview
        if up is not None:
            state.put(state.UPLOAD, (up.name, up.getvalue()))
    elif source == "demo":
        names = {code: _(DEMO_LANGUAGES[code]) for code in DEMOS}
        pick = st.radio(_("Tickets in"), list(names), index=list(names).index(lang()), horizontal=True, key="demo_lang",
                        format_func=names.get)  # the reader's language first
        KINDS = {"one": _("One label a text"), "several": _("Several labels a text")}
        kind = st.radio(_("Labels"), list(KINDS), horizontal=True, key="demo_kind", format_func=KINDS.get)
        demo, about = (DEMOS if kind == "one" else MULTI_DEMOS)[pick]
        st.caption(_(about))
        if st.button(_("Use the demo dataset")):
            state.put(state.UPLOAD, (demo.name, demo.read_bytes()))
    elif source == "hub":
        name = st.text_input(_("Dataset name"), placeholder=_("imdb or owner/name"))
        split = st.text_input(_("Split"), value="train")
        if st.button(_("Load from the Hub")) and name:
            with guard("Loading the dataset"), st.spinner(_("Downloading...")):
                data, filename = hub_dataset_bytes(name, split)
                state.put(state.UPLOAD, (filename, data))

    upload = state.get(state.UPLOAD)
    if upload:
        filename, data = upload
        with guard("Reading the file"):
            table = resources.read_upload(data, filename)
            raw = table.df
            guess_text, guess_label = guess_columns(raw)
            cols = list(raw.columns)
            st.subheader(_("Columns of {file}", file=md(filename)))
            st.dataframe(raw.head(5), hide_index=True)
            c1, c2 = st.columns(2)
            if guess_label is None:  # texts without labels, brought to the labelled path: offer the other one
                st.info(_("This file seems to have no label column. No labels yet? A language model can label the "
                          "texts, or you can label the first ones yourself."))
                st.button(_("Continue without labels"), on_click=_without_labels, args=(filename, data))
            text_col = c1.selectbox(_("Text column"), cols, index=cols.index(guess_text) if guess_text else 0)
            label_col = c2.selectbox(_("Label column"), cols, index=cols.index(guess_label) if guess_label in cols else 0)
            ds = several_labels(table, text_col, None if label_col == guess_label else label_col)
            report = ds.report.to_dict()
            st.subheader(_("Cleaning report"))
            report_in_words(report)
            sizes = split_sizes(ds)
            st.write(_("Split for training: {train:,} train, {validation:,} validation, {test:,} test rows "
                       "(stratified by class).", **sizes))
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.class_balance(report["classes"], lang()))
            c2.plotly_chart(charts.length_histogram(ds.df["text"].str.len().tolist(), lang()))
            if len(report["classes"]) < 2:
                st.error(_("Only one class was found in the label column; a classifier needs at least two different "
                           "labels."))
            elif st.button(_("Save and use this dataset"), type="primary"):
                dataset_id = save_dataset(resources.store(), ds, data, filename)  # a StorageError is one sentence
                state.put(state.DATASET_ID, dataset_id)  # the saved dataset is the current one on every page
                st.session_state[DATASET_PICK] = dataset_id
                state.put(state.UPLOAD, None)  # saved: the next visit starts clean (a new uploader, no stale preview)
                state.put(state.UPLOADS_SAVED, state.get(state.UPLOADS_SAVED, 0) + 1)
                state.put(state.SAVED_ROWS, ds.report.rows)  # said after the rerun, which clears the preview
                st.rerun()
saved = st.session_state.pop(state.SAVED_ROWS, None)
if saved is not None:
    st.success(_("Saved {rows:,} rows. Next: check the labels below, or train models on the Train page.", rows=saved))
    st.page_link("pages/train.py", label=_("Go to Train"), icon=":material/arrow_forward:")
if saved is not None and store:  # the one just saved
    saved_datasets = store.datasets()
datasets = saved_datasets if state.get(state.DATASET_ID) or not upload else []
if datasets:
    st.divider()
    ids, current = [d["id"] for d in datasets], state.get(state.DATASET_ID)
    if st.session_state.get(DATASET_PICK) not in ids:
        st.session_state[DATASET_PICK] = current if current in ids else ids[0]
    pick = st.selectbox(_("Your datasets"), ids, key=DATASET_PICK,
                        format_func=lambda i: next(d["name"] for d in datasets if d["id"] == i))
    state.put(state.DATASET_ID, pick)
    with guard("Reading the dataset's versions"):
        dataset_actions(pick)
        check_panel(pick)
        versions_panel(pick)
        label_check(pick)
if store:
    archived_datasets()
