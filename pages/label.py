"""Label: the texts that would teach the models most (uncertain, or where contenders disagree) go first;
the labels you give join the dataset's corrections queue, saved as its next version on the Data page."""
import json

import streamlit as st

from core import charts
from core.data import feedback, versions
from core.data.cleaning import text_column
from core.data.datasets import ASSETS
from core.store import JobStatus
from core.trust.active import rank_for_labelling, text_vectors
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.first_labels import first_labels, first_saved
from ui.i18n import N_, _, lang
from ui.label_table import label_table
from ui.widgets import guard

MAX_TEXTS = 2_000  # ranking runs in the page: ~2,000 texts is seconds for the baseline, ~20 s for a fine-tune

ensure_app_navigation()
st.title(_("Label what matters next"))
store = resources.store_or_stop()
first_labels(store)  # texts without labels from the Data page: the first ones by variety, saved as a dataset
datasets = {d["id"]: d["name"] for d in store.datasets()}
if not datasets:
    st.info(_("Add a labelled dataset on the Data page first; its models choose what you label next."))
    st.stop()
ids = list(datasets)
dataset_id = st.selectbox(_("Dataset the new labels join"), ids, format_func=datasets.get,
                          index=ids.index(state.get(state.DATASET_ID)) if state.get(state.DATASET_ID) in ids else 0)
first_saved(store, dataset_id)
runs = {j.id: resources.runner().folder(j.id).display_name(lang()) for j in store.jobs((JobStatus.DONE,), job_type="train",
                                                                                     archived=False)
        if j.dataset_id == dataset_id}
picked = st.multiselect(_("Models that choose (several: their disagreements count too)"), list(runs),
                        default=list(runs)[:2], format_func=runs.get)
pool = state.get(state.FIRST_POOL) if (state.get(state.FIRST_POOL) or {}).get("dataset") == dataset_id else None
up = st.file_uploader(_("Unlabelled texts (a text column is enough)"), type=["csv", "tsv", "txt", "xlsx", "json", "jsonl",
                                                                          "parquet"], key="label_upload")
if pool and up is None:
    st.caption(_("Without a file, the texts of {file} not labelled yet are ranked.", file=pool["file"]))
n = st.number_input(_("How many to label now"), 5, 200, 20)
if not runs:
    st.info(_("Train a model on this dataset first (the baseline takes seconds)."))
elif (up is not None or pool) and picked and st.button(_("Find the texts to label"), type="primary"):
    with guard("Ranking the texts"), st.spinner(_("Asking the models...")):
        if up is not None:
            raw = resources.read_upload(up.getvalue(), up.name).df
            texts = [t for t in raw[text_column(raw, None, N_("No column of free text was found in this file; name "
                                                                       "its text column 'text'."))].astype(str).str.strip() if t]
        else:
            texts = list(pool["texts"])
        # never ask twice: texts already in the dataset, waiting in its queue, or set aside in this session
        known = set(versions.rows(store, dataset_id)["text"]) | {i["text"] for i in feedback.pending(store, dataset_id)}
        known |= set(state.get(state.LABEL_SET_ASIDE) or ())
        texts = [t for t in dict.fromkeys(texts) if t not in known]
        if not texts:
            st.info(_("Every text in this file is already in the dataset or waiting in its corrections queue."))
        if len(texts) > MAX_TEXTS:
            st.caption(_("The first {n:,} of {total:,} texts are ranked; label these, then upload the rest.",
                         n=MAX_TEXTS, total=len(texts)))
        models = {runs[i]: resources.classifier(str(resources.runner().folder(i).model_dir)) for i in picked}
        texts = texts[:MAX_TEXTS]
        # a batch picked for variety too: the most uncertain few hundred grouped by similarity, one from each group
        ranked = rank_for_labelling(models, texts, int(n), vectors=text_vectors(texts)) if len(texts) > n else \
            rank_for_labelling(models, texts, int(n))
        state.put(state.TO_LABEL, (dataset_id, ranked))

ranked = state.get(state.TO_LABEL)
if ranked and ranked[0] == dataset_id and ranked[1]:
    label_table(store, dataset_id, datasets[dataset_id], ranked[1])
added = st.session_state.pop(state.LABEL_ADDED, None)
if added is not None:  # after the Add's rerun
    st.success(_("Added {n}; save them as a new version on the Data page, then retrain.", n=added))
    st.page_link("pages/data.py", label=_("Go to Data"), icon=":material/arrow_forward:")

st.subheader(_("What labelling the uncertain texts first buys"))
curves = json.loads((ASSETS / "active_learning_curves.json").read_text(encoding="utf-8"))
st.plotly_chart(charts.learning_curves(curves, lang()))
st.caption(_("Measured on four public datasets, with the TF-IDF baseline choosing and learning (mean of 3 seeds): on two "
             "of four, labelling the most uncertain texts first reached with 300-600 labels what 1,000 random labels "
             "reached."))
