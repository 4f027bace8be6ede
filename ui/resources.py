"""Process-wide cached resources (st.cache_resource): loaded once, shared by all users.

Fast tokenizers and llama.cpp contexts are not safe to call from two threads at
once (Streamlit runs each session in its own thread), so each model comes with a
lock (`LockedModel`; chat engines hold their own).
"""
from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from core.errors import DataError
from core.jobs import JobRunner
from core.runs import RunFolder
from core.store import Store, default_data_dir
from ui.i18n import _, lang
from ui.safe import md


@st.cache_resource(show_spinner=False)
def _store(root: str) -> Store:
    return Store(root)


def store() -> Store:
    """The Store for TUNELAB_DATA_DIR (keyed by path, so tests can point elsewhere).
    Raises StorageError (one sentence) when the folder is read-only, full or missing."""
    return _store(str(default_data_dir()))


def store_or_stop() -> Store:
    """The Store, or the page shows which folder is unusable and why, and stops there."""
    try:
        return store()
    except DataError as exc:
        st.error(md(exc.translated(lang())))
        st.stop()


def store_or_none() -> Store | None:
    """The Store, or None (with a warning) for pages that work without saved data."""
    try:
        return store()
    except DataError as exc:
        st.warning(md(exc.translated(lang())))
        return None


def runner() -> JobRunner:
    return JobRunner(store())


@st.cache_resource(show_spinner=False)
def _poller(root: str):
    from core.jobs import start_background_poller

    return start_background_poller(_store(root))


def start_poller() -> None:
    """One background queue poller per data directory per server process (started by the
    first page view), so jobs finish and start with every tab closed."""
    _poller(str(default_data_dir()))


@st.cache_resource(show_spinner=False)
def _device_label(lang: str) -> str:
    from core.checkpoints import device_label as label

    return label(lang)


def device_label() -> str:
    """The compute device in this session's language (torch is imported once, here, not in pages)."""
    return _device_label(lang())


class LockedModel:
    """A loaded classifier plus the lock that serialises calls into it."""

    runtime = ""  # what answers, when it is an export (`served`): 'OpenVINO int8', 'ONNX fp32', ... or 'PyTorch'

    def __init__(self, model, model_dir: Path | None = None):
        self.model, self.lock, self.model_dir = model, threading.Lock(), model_dir
        self._seen = self._stamp()

    def _stamp(self) -> float | None:
        meta = self.model_dir / "tunelab.json" if self.model_dir else None
        return meta.stat().st_mtime if meta and meta.is_file() else None

    def _fresh(self) -> None:
        """A threshold saved on Evaluate (core.thresholds) reaches this cached model on its next call."""
        stamp = self._stamp()
        if stamp != self._seen and hasattr(self.model, "restore_decisions"):
            from core.contenders.base import read_meta

            self.model.restore_decisions(read_meta(self.model_dir))
            self._seen = stamp

    @property
    def classes_(self):
        return self.model.classes_

    @property
    def multi_label_(self) -> bool:
        return getattr(self.model, "multi_label_", False)

    @property
    def thresholds_(self):
        return getattr(self.model, "thresholds_", None)

    def predict_proba(self, texts):
        with self.lock:
            return self.model.predict_proba(texts)

    def decide(self, proba):
        """Predictions with the model's own thresholds, as saved now (no lock: numpy only)."""
        self._fresh()
        return self.model.decide(proba)

    def explain(self, text: str, target: str | None = None):
        """core.trust.explain under the same lock (the explainers call the model many times)."""
        from core.trust.explain import explain

        with self.lock:
            return explain(self.model, text, target)


# The caches show no spinner of their own (its text would be fixed, in English, at import); the wrappers show
# one in the reader's language, and st.spinner waits 0.5 s before it appears, so a cache hit shows nothing.
@st.cache_resource(max_entries=6, show_spinner=False)
def _classifier(model_dir: str) -> LockedModel:
    from core.contenders.registry import load_classifier

    return LockedModel(load_classifier(Path(model_dir)), Path(model_dir))


def classifier(model_dir: str) -> LockedModel:
    """One copy per process of a trained model (max 6 kept: ~100 MB each for MiniLM)."""
    with st.spinner(_("Loading the model...")):
        return _classifier(model_dir)


@st.cache_resource(max_entries=6, show_spinner=False)
def _served(run_dir: str, export: str) -> LockedModel:
    from core.deploy.runtimes import load_for_inference, runtime_name
    from core.runs import model_dir

    model = LockedModel(load_for_inference(run_dir), model_dir(run_dir))
    model.runtime = runtime_name(run_dir)
    return model


def served(run_dir: str) -> LockedModel:
    """A run's model on the fastest runtime it is verified on (core.deploy.runtimes), as the API serves it; an
    export made later (or made again) is picked up on the next call. `.runtime` names it ('OpenVINO int8')."""
    from core.deploy.runtimes import fastest_export

    file = fastest_export(run_dir)[0]
    with st.spinner(_("Loading the model...")):
        return _served(str(run_dir), f"{file}:{file.stat().st_mtime_ns}" if file and file.is_file() else "")


@st.cache_resource(max_entries=3, show_spinner=False)
def _chat_engine(model: str, endpoint: str | None, endpoint_model: str | None):
    from core.chat.loader import load_engine

    return load_engine(model, endpoint=endpoint or None, endpoint_model=endpoint_model or None)


def chat_engine(model: str, endpoint: str | None = None, endpoint_model: str | None = None):
    """One engine per (model, endpoint) per process, shared by every session; the
    engine's own lock makes concurrent users queue for llama.cpp."""
    with st.spinner(_("Loading the chat model...")):
        return _chat_engine(model, endpoint, endpoint_model)


@st.cache_resource(max_entries=1, show_spinner=False)
def _tuned_engine(model_dir: str):
    from core.chat.tuned import load_tuned

    return load_tuned(model_dir)


def tuned_chat_engine(job_id: str):
    """The chat engine of a finished LoRA-tuned LLM run, by its id (one kept: each is a whole model in memory)."""
    with st.spinner(_("Loading the chat model...")):
        return _tuned_engine(str(RunFolder(store().run_dir(job_id)).model_dir))


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def _hub_snapshot(repo_id: str) -> str:
    from core.chat.local import hub_model

    return str(hub_model(repo_id))  # a refusal raises, and Streamlit caches no exception: the next try asks again


def hub_chat_engine(repo_id: str):
    """A Hub chat model by its id: fetched into the Hugging Face cache first (core.chat.local.hub_model), so the
    typed id is never looked up as a folder here; then shared like any other engine. The id's folder is kept for
    an hour, so a message does not wait for the Hub each time."""
    with st.spinner(_("Loading the chat model...")):
        return _chat_engine(_hub_snapshot(repo_id.strip()), None, None)


def visitor_chat_engine(url: str, model: str, key: str | None):
    """A server a visitor typed, with the visitor's own key: made per request, never cached
    (a shared cache would keep one visitor's key in the process for everyone)."""
    from core.chat.loader import load_engine

    return load_engine(endpoint=url, endpoint_model=model or None, api_key=key or None)


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def _read_upload(data: bytes, filename: str):
    from core.data.reading import read_table

    return read_table(data, filename)


def read_upload(data: bytes, filename: str):
    """Parse an upload once per content (keyed by a hash of the bytes), not on every rerun:
    a 200 MB CSV takes ~20 s to parse on 2 cores. Callers must not modify the result."""
    with st.spinner(_("Reading the file...")):
        return _read_upload(data, filename)
