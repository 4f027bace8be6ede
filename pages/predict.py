"""Predict: classify a text or a whole file with trained models; download a model."""
import streamlit as st

from core import charts, labelsets
from core.predict import model_zip, predict_frame, predict_table, zip_name
from core.runs import RunFolder
from ui import explain_view, resources, state
from ui.boot import ensure_app_navigation
from ui.code_snippets import use_from_code
from ui.correct import correction_form
from ui.i18n import _, lang
from ui.jobs_panel import file_jobs
from ui.label_sets import shown
from ui.run_picker import pick_group
from ui.runtime_panel import fast_runtime, runtime_caption
from ui.safe import md
from ui.widgets import guard

INLINE_BYTES = 256 * 1024  # ~2,500 short texts: seconds for any contender on 2 cores; bigger files run as jobs

ensure_app_navigation()
st.title(_("Predict"))
store = resources.store_or_stop()
labels = pick_group(store, _("No trained models yet: train one on the Train page."), key="predict_dataset").runs
picked = st.multiselect(_("Models"), list(labels), default=list(labels)[:3], format_func=labels.get)
models = {i: str(store.run_dir(i)) for i in picked}  # each answers on its fastest verified runtime (resources.served)

st.subheader(_("Classify a text"))
text = st.text_area(_("Text"), placeholder=_("Type or paste a text, e.g. 'My parcel never arrived and I want a refund'"))
# never disabled: a text area commits on blur, so a button disabled until then would swallow the first click
if st.button(_("Classify"), type="primary"):
    state.put(state.CLASSIFIED, text.strip())
    if not (text.strip() and models):
        st.info(_("Type a text and pick at least one model first."))
if text.strip() and models and state.get(state.CLASSIFIED) == text.strip():  # stays up for "wrong?" below
    cols = st.columns(len(models))
    for col, (run_id, run_dir) in zip(cols, models.items(), strict=False):
        with col, guard("Classifying"):
            model = resources.served(run_dir)
            row = predict_frame(None, [text], model=model).iloc[0]
            classes = [c[2:] for c in row.index if c.startswith("p:")]
            if labelsets.is_encoded(row["pred"]):  # several labels: each label stands on its own probability
                col.metric(md(labels[run_id]), md(shown(row["pred"])))
            else:
                col.metric(md(labels[run_id]), md(row["pred"]), _("{sure:.0%} sure", sure=row["confidence"]),
                           delta_color="off", delta_arrow="off")  # a confidence, not a rise
            runtime_caption(model.runtime)
            explain_view.show(text, model.explain(text))
            given = labelsets.decode(row["pred"]) if labelsets.is_encoded(row["pred"]) else None
            col.plotly_chart(charts.probability_bars(classes, [row[f"p:{c}"] for c in classes], _("Probabilities"),
                                                     given), key=f"bars-{run_id}")
            correction_form(run_id, text, classes, row["pred"], "predict", key=run_id)

st.subheader(_("Classify a file"))
up = st.file_uploader(_("A file with a text column (CSV, TSV, TXT, Excel, JSON, JSONL, Parquet)"),
                      type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"], key="predict_upload")
if up is not None and models:
    run_id = st.selectbox(_("Model for the file"), list(models), format_func=labels.get)
    if up.size > INLINE_BYTES:  # big files run as a job: queued, cancellable, and no one else waits
        st.caption(_("This file is over {kb} KB, so it is classified in the background; you can leave this page "
                     "and come back for the result.", kb=INLINE_BYTES // 1024))
        if st.button(_("Classify the whole file"), type="primary"):
            with guard("Queueing the file"):
                job_id = resources.runner().submit_batch(run_id, up.getvalue(), up.name, lang=lang())
                state.put(state.FILE_JOBS, [job_id, *state.get(state.FILE_JOBS, [])])
    else:
        with guard("Classifying the file"), st.spinner(_("Classifying every row...")):
            model = resources.served(models[run_id])
            out = predict_table(model, up.getvalue(), up.name)
            runtime_caption(model.runtime)
            st.dataframe(out.head(200), hide_index=True)
            st.caption(_("{n:,} rows labelled; the preview shows the first 200.", n=len(out)))
            st.download_button(_("Download all predictions (CSV)"), out.to_csv(index=False).encode("utf-8"),
                               "predictions.csv", "text/csv")
file_jobs()

st.subheader(_("Download or serve a model"))
run_id = st.selectbox(_("Model"), list(labels), format_func=labels.get, key="zip_pick")
fast_runtime(store, run_id)
use_from_code(RunFolder(store.run_dir(run_id)))
if st.button(_("Prepare the zip")):
    with guard("Packing the model"):
        st.download_button(_("Download model (zip)"), model_zip(store.run_dir(run_id)),
                           zip_name(labels[run_id], run_id), "application/zip")
