"""Data: upload a file (or the demo set, or a Hub dataset), map columns, read the report, save."""
import streamlit as st

from core import charts
from core.datasets import DEMO_PATH, hub_dataset_bytes, save_dataset, split_sizes
from core.cleaning import dataset_from_raw, guess_columns
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.label_check import label_check
from ui.versions_panel import versions_panel
from ui.safe import md
from ui.widgets import guard, report_in_words

ensure_app_navigation()
st.title("Data")
st.write("Bring labelled texts: one column of text, one column with each text's category.")
source = st.segmented_control("Source", ["Upload a file", "Demo dataset", "Hugging Face Hub"],
                              default="Upload a file", key="data_source")

if source == "Upload a file":
    up = st.file_uploader("CSV, TSV, TXT, Excel, JSON, JSONL or Parquet",
                          type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"])
    if up is not None:
        state.put(state.UPLOAD, (up.name, up.getvalue()))
elif source == "Demo dataset":
    st.caption("750 customer-support tickets in 5 categories, written for Tunelab; some are genuinely ambiguous.")
    if st.button("Use the demo dataset"):
        state.put(state.UPLOAD, (DEMO_PATH.name, DEMO_PATH.read_bytes()))
else:
    name = st.text_input("Dataset name", placeholder="imdb or owner/name")
    split = st.text_input("Split", value="train")
    if st.button("Load from the Hub") and name:
        with guard("Loading the dataset"), st.spinner("Downloading..."):
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
        st.subheader(f"Columns of {md(filename)}")
        st.dataframe(raw.head(5), hide_index=True)
        c1, c2 = st.columns(2)
        text_col = c1.selectbox("Text column", cols, index=cols.index(guess_text) if guess_text else 0)
        label_col = c2.selectbox("Label column", cols, index=cols.index(guess_label) if guess_label in cols else 0)
        ds = dataset_from_raw(table, text_col=text_col, label_col=label_col)
        report = ds.report.to_dict()
        st.subheader("Cleaning report")
        report_in_words(report)
        sizes = split_sizes(ds)
        st.write(f"Split for training: {sizes['train']:,} train, {sizes['validation']:,} validation, "
                 f"{sizes['test']:,} test rows (stratified by class).")
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.class_balance(report["classes"]))
        c2.plotly_chart(charts.length_histogram(ds.df["text"].str.len().tolist()))
        if len(report["classes"]) < 2:
            st.error("Only one class was found in the label column; a classifier needs at least two different labels.")
        elif st.button("Save and use this dataset", type="primary"):
            dataset_id = save_dataset(resources.store(), ds, data, filename)  # a StorageError is one sentence
            state.put(state.DATASET_ID, dataset_id)
            st.success(f"Saved {ds.report.rows:,} rows. Next: check the labels below, or train models on the "
                       "Train page.")
            st.page_link("pages/train.py", label="Go to Train", icon=":material/arrow_forward:")
store = resources.store_or_none()  # a read-only data folder: the upload part above still works
datasets = store.datasets() if store and (state.get(state.DATASET_ID) or not upload) else []
if datasets:
    st.divider()
    ids, current = [d["id"] for d in datasets], state.get(state.DATASET_ID)
    pick = st.selectbox("Your datasets", ids, index=ids.index(current) if current in ids else 0,
                        format_func=lambda i: next(d["name"] for d in datasets if d["id"] == i), key="data_pick")
    state.put(state.DATASET_ID, pick)
    with guard("Reading the dataset's versions"):
        versions_panel(pick)
        label_check(pick)
