"""`python -m core serve RUN_DIR [RUN_DIR ...]`: a REST API for trained runs (FastAPI + uvicorn).

    GET  /health          {"status": "ok"}
    GET  /v1/models       each model's id (its run id), name, kind, classes and test metrics
    POST /v1/classify     {"texts": [...], "model": ID?, "explain": false} -> labels, confidences, probabilities
    POST /v1/feedback     {"text", "label", "model"} -> stored for review in the data directory
    GET  /docs            OpenAPI docs

Every refusal is JSON `{"error": "one plain sentence"}` with the right status, never a
traceback. Requests that arrive together are batched (a 5 ms window), so 16 concurrent
clients get close to offline batch throughput. The server keeps nothing in memory that
matters (feedback goes to files), so replicas behind a load balancer scale it.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from pathlib import Path

import numpy as np

from core import labelsets
from core.data.feedback import API_FEEDBACK, append_jsonl
from core.deploy.runtimes import fastest_export, load_for_inference
from core.errors import DataError
from core.runs import RunFolder
from core.trust.explain import explain

MAX_TEXTS = 256
MAX_BODY = 5 * 2**20  # bytes
WINDOW_S = 0.005  # how long a batch that already has company waits for more
MAX_BATCH = 64  # texts per model call; bigger batches gain little on 2 cores
# Texts that arrive together have any lengths, and a batch pads to its longest: the ONNX model cuts a server batch
# into length-sorted pieces of at most 256 padded tokens. Random 16-text SST-2 batches, int8 MiniLM, 2 cores:
# 386-411 texts/s as one piece, 502-511 at 256; length-sorted offline batches of 32 lose little (666-705 vs 730-764).
SERVE_MAX_TOKENS = 256
log = logging.getLogger("tunelab.serve")


class Served:
    """One loaded model, its lock (backends are not thread-safe) and its request batcher."""

    def __init__(self, run_dir: str | Path):
        run = RunFolder(run_dir)
        self.id = run.id
        # ONNX when a verified export exists; a model folder loads as itself
        self.model = load_for_inference(run_dir, threads=threads_per_worker())
        if hasattr(self.model, "max_tokens"):  # requests arrive in mixed lengths: see SERVE_MAX_TOKENS
            self.model.max_tokens = SERVE_MAX_TOKENS
        self.via = fastest_export(run_dir)[1]
        metrics = run.metrics() or {}
        test = metrics.get("test", {})
        self.info = {"id": self.id, "name": run.name, "kind": run.kind, "classes": list(self.model.classes_),
                     "multi_label": bool(getattr(self.model, "multi_label_", False)),
                     "thresholds": getattr(self.model, "thresholds_", None),
                     "metrics": {k: test.get(k) for k in ("accuracy", "macro_f1", "n")}, "runtime": self.via}
        self.lock = threading.Lock()
        self.queue: asyncio.Queue | None = None

    def proba(self, texts: list[str]) -> tuple[np.ndarray, set[int]]:
        """Probabilities for a batch, and which of its texts the model cuts (one tokenizer call for the batch,
        under the same lock: a per-request check waited for the lock behind every batch)."""
        with self.lock:
            return np.asarray(self.model.predict_proba(texts)), self._too_long(texts)

    def answers(self, proba: np.ndarray) -> list[dict]:
        """The API's answer for each text: {"label", "confidence", "probabilities"}, or for a multi-label model
        {"labels", "probabilities"}; decided with the thresholds saved in the model."""
        classes, decided = self.info["classes"], self.model.decide(proba)
        out = []
        for p, d in zip(proba, decided, strict=True):
            probabilities = {c: round(float(x), 6) for c, x in zip(classes, p, strict=True)}
            out.append({"labels": labelsets.decode(d), "probabilities": probabilities} if self.info["multi_label"]
                       else {"label": d, "confidence": round(float(p[classes.index(d)]), 6),
                             "probabilities": probabilities})
        return out

    def explain(self, text: str, target: str) -> list[dict]:
        with self.lock:
            return [{"word": w["word"], "weight": round(w["weight"], 5)} for w in explain(self.model, text, target).words]

    def _too_long(self, texts: list[str]) -> set[int]:
        """Indices of texts over the model's token limit (call under the lock)."""
        tok, limit = getattr(self.model, "tokenizer_", None), getattr(self.model, "max_length", None)
        # a token covers at least one character, so only texts longer than the limit need counting
        long = [i for i, t in enumerate(texts) if tok is not None and limit and len(t) > limit - 2]
        if not long:
            return set()
        lengths = [len(ids) for ids in tok([texts[i] for i in long], truncation=False)["input_ids"]]
        return {i for i, n in zip(long, lengths, strict=False) if n > limit}

    async def classify(self, texts: list[str]) -> tuple[np.ndarray, list[int]]:
        """Queue the texts; the batcher answers, when their batch has been scored, with their probabilities and
        the indices of those the model cut to its token limit."""
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future

    async def batcher(self) -> None:
        """Score queued requests together. Whatever queued while the model was busy forms the next
        batch at once; only when other requests are already waiting does it hold the window open a
        few milliseconds more for company, so a lone client never waits for nothing."""
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            while not self.queue.empty() and sum(len(t) for t, _ in items) < MAX_BATCH:
                items.append(self.queue.get_nowait())
            deadline = loop.time() + WINDOW_S
            while len(items) > 1 and sum(len(t) for t, _ in items) < MAX_BATCH and (left := deadline - loop.time()) > 0:
                try:
                    items.append(await asyncio.wait_for(self.queue.get(), left))
                except asyncio.TimeoutError:
                    break
            texts = [t for batch, _ in items for t in batch]
            try:
                proba, cut = await loop.run_in_executor(None, self.proba, texts)
            except Exception as exc:  # answer every waiting request, keep serving
                for _, future in items:
                    future.set_exception(exc)
                continue
            for (_, future), answer in zip(items, split_batch([len(batch) for batch, _ in items], proba, cut),
                                           strict=True):
                future.set_result(answer)


def split_batch(sizes: list[int], proba: np.ndarray, cut: set[int]) -> list[tuple[np.ndarray, list[int]]]:
    """A scored batch back to the requests it was made of: for requests of `sizes` texts, in order, each one's rows
    of `proba` and the indices (within the request) of its texts in `cut` (positions in the whole batch)."""
    answers, start = [], 0
    for size in sizes:
        answers.append((proba[start:start + size], [i - start for i in sorted(cut) if start <= i < start + size]))
        start += size
    return answers


def threads_per_worker() -> int | None:
    """TUNELAB_SERVE_THREADS: the threads each server process gives a model. Unset, a model takes every core,
    which is right for one process; `uvicorn --workers N` on C cores wants C / N each, or N processes
    oversubscribe the cores N times over. Sets torch's threads too, for runs served without an export."""
    value = os.environ.get("TUNELAB_SERVE_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise DataError(f"TUNELAB_SERVE_THREADS must be a whole number of threads, at least 1, not '{value[:20]}'.")
    import torch  # put off: loads torch (~1.9 s)

    torch.set_num_threads(int(value))
    return int(value)


def load_models(run_dirs: list[str]) -> dict[str, Served]:
    if not run_dirs:
        raise DataError("Name at least one run folder to serve.")
    models = {}
    for run_dir in run_dirs:
        served = Served(run_dir)
        models[served.id] = served
    return models


def store_feedback(data_dir: Path, record: dict) -> None:
    """Append one correction to the data directory's API feedback file, where core.data.feedback's review queue
    reads it (a lock keeps lines whole across replicas)."""

    append_jsonl(Path(data_dir) / API_FEEDBACK, [record])


def key_ok(header: str | None, key: str | None) -> bool:
    if not key:
        return True
    given = (header or "").removeprefix("Bearer ").strip()
    return secrets.compare_digest(given.encode(), key.encode())


def api_key_from_env(var: str | None) -> str | None:
    if not var:
        return None
    key = os.environ.get(var)
    if not key:
        raise DataError(f"--api-key-env names {var}, but that environment variable is empty; set it or drop the option.")
    return key
