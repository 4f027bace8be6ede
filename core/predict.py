"""Use a trained model: label texts, or every row of a file with its columns kept."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from core.contenders.base import check_stop
from core.contenders.registry import load_classifier
from core.data.cleaning import MAX_TEXT_CHARS, text_column
from core.data.reading import read_table
from core.i18n import N_
from core.runs import RunFolder

# rows per model call: a one-text request from another user waits at most one chunk for a shared
# model (256 rows: ~25 ms for the baseline, ~1 s for MiniLM on 2 cores)
CHUNK = 256


def proba_frame(texts: list[str], proba, classes: list[str], pred: list[str] | None = None) -> pd.DataFrame:
    """text, pred, confidence and one p:<class> column per class, from class probabilities. `pred`: the model's
    own decisions (ClassifierMixin.decide: label sets, chosen thresholds); default the top class."""
    pred = pred if pred is not None else [classes[i] for i in proba.argmax(1)]
    df = pd.DataFrame({"text": texts, "pred": pred, "confidence": proba.max(1)})
    for j, c in enumerate(classes):
        df[f"p:{c}"] = proba[:, j]
    return df


def predict_frame(model_dir: str | Path | None, texts: list[str], model=None) -> pd.DataFrame:
    """Label texts with a saved model (or a loaded one): see `proba_frame` for the columns."""
    clf = model or load_classifier(model_dir)
    texts = [str(t)[:MAX_TEXT_CHARS] for t in texts]
    proba = clf.predict_proba(texts)
    return proba_frame(texts, proba, list(clf.classes_), clf.decide(proba))


def predict_table(model, source: str | Path | bytes, filename: str | None = None, text_col: str | None = None,
                  *, on_progress=None, should_stop=None, chunk: int = CHUNK) -> pd.DataFrame:
    """Every row of a file, its own columns first, then pred, confidence, p:<class>.
    Rows with no text keep their place and get an empty prediction. Rows go to the model
    `chunk` at a time (progress after each; FitStopped when `should_stop()` says so)."""
    raw = read_table(source, filename).df
    text_col = text_column(raw, text_col, N_("No column of free text was found in this file; pick the text column to "
                                              "classify."))
    texts = raw[text_col].astype(str)
    has_text = texts.str.strip() != ""
    todo = texts[has_text].tolist()
    parts = []
    for start in range(0, max(len(todo), 1), chunk):
        check_stop(should_stop)
        parts.append(predict_frame(None, todo[start:start + chunk], model=model))
        if on_progress:
            on_progress({"event": "step", "step": min(start + chunk, len(todo)), "total_steps": len(todo)})
    scored = pd.concat(parts, ignore_index=True).drop(columns="text")
    scored.index = raw.index[has_text]
    out = raw.join(scored)
    out["pred"] = out["pred"].fillna("")
    return out


STORED = {".safetensors"}  # float weights: stored as they are in the zip (see model_zip)


def model_zip(run_dir: str | Path) -> bytes:
    """The run's model folder (Hugging Face format for the fine-tune, model card
    included) plus config.json and metrics.json, as zip bytes for download."""

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, name in RunFolder(run_dir).export_files():
            # float weights barely deflate (MiniLM's safetensors: 87 -> 80 MB) and took 5 of the zip's 7 seconds
            zf.write(path, name, zipfile.ZIP_STORED if path.suffix in STORED else None)
    return buf.getvalue()


def zip_name(run_name: str, run_id: str) -> str:
    """A download name a person recognises: 'tunelab-TF-IDF-baseline-demo_tickets-Dec-1-08-05.zip' (the run's
    name reduced to letters, digits and CJK; the id when nothing is left)."""

    slug = re.sub(r"[^\w一-鿿]+", "-", run_name, flags=re.UNICODE).strip("-_")[:80]
    return f"tunelab-{slug or run_id}.zip"
