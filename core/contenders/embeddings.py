"""Contender 2: frozen sentence embeddings (mean pooling) + logistic regression.

The embedded all-MiniLM-L6-v2 was trained for sentence similarity with mean
pooling, so its pooled vectors separate topics and sentiment well even when only
a few hundred labels exist. Only the small linear head is trained.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from core.checkpoints import load_tokenizer, offline_error, pick_device, quiet_transformers, resolve_checkpoint
from core.contenders.base import (
    ClassifierMixin,
    ProgressFn,
    StopFn,
    check_fit_inputs,
    check_stop,
    fit_logistic,
    is_sets,
    linear_proba,
    load_tensors,
    read_meta,
    save_tensors,
)
from core.contenders.batching import pad, sorted_batches, tokenize


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence vectors from any Transformer encoder."""

    def __init__(self, checkpoint: str = "default", max_length: int = 256, batch_size: int = 64):
        import torch  # put off: loads torch (~1.9 s)
        from transformers import AutoModel  # put off: loads huggingface_hub, transformers (~1.1 s)

        quiet_transformers()
        self.tokenizer = load_tokenizer(checkpoint)
        try:
            self.model = AutoModel.from_pretrained(resolve_checkpoint(checkpoint), use_safetensors=True)  # never pickle
        except (OSError, ValueError) as exc:
            raise offline_error(checkpoint, exc) from exc
        self.device = pick_device()
        self.model.to(self.device).eval()
        self.max_length, self.batch_size, self._torch = max_length, batch_size, torch

    def encode(self, texts: list[str], on_batch=None, should_stop: StopFn = None) -> np.ndarray:
        torch = self._torch
        ids = tokenize(self.tokenizer, texts, self.max_length)
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        batches = sorted_batches([len(x) for x in ids], self.batch_size)
        with torch.inference_mode():
            for n, idx in enumerate(batches):
                check_stop(should_stop)  # no features yet, nothing to keep: FitStopped propagates
                input_ids, mask = pad([ids[i] for i in idx], self.tokenizer.pad_token_id or 0)
                hidden = self.model(input_ids=input_ids.to(self.device),
                                    attention_mask=mask.to(self.device)).last_hidden_state
                m = mask.to(self.device).unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
                if on_batch:
                    on_batch(n + 1, len(batches))
        return out


class EmbeddingClassifier(ClassifierMixin):
    """Frozen sentence embeddings + logistic regression."""

    kind = "embeddings"

    def __init__(self, checkpoint: str = "default", C: float = 10.0, max_length: int = 256,
                 batch_size: int = 64, seed: int = 42):
        self.checkpoint = checkpoint
        self.C = C
        self.max_length = max_length
        self.batch_size = batch_size
        self.seed = seed

    @classmethod
    def from_config(cls, config) -> "EmbeddingClassifier":
        # at least 128 tokens: pooling a truncated text loses meaning, and inference here is cheap
        return cls(checkpoint=config.checkpoint, C=config.C or 10.0, seed=config.seed,
                   max_length=max(config.max_length, 128))

    def _encoder(self) -> SentenceEncoder:
        if getattr(self, "encoder_", None) is None:
            self.encoder_ = SentenceEncoder(self.checkpoint, self.max_length, self.batch_size)
        return self.encoder_

    def fit(self, texts, labels, *, on_progress: ProgressFn = None, should_stop: StopFn = None) -> "EmbeddingClassifier":
        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        self.multi_label_ = is_sets(labels)
        t0 = time.time()

        def on_batch(done: int, total: int) -> None:
            if on_progress and (done % 10 == 0 or done == total):
                el = time.time() - t0
                on_progress({"event": "step", "step": done, "total_steps": total + 1, "epoch": done / (total + 1),
                             "samples_per_s": round(min(done * self.batch_size, len(texts)) / max(el, 1e-6), 1),
                             "eta_s": round(el / done * (total - done), 1)})

        features = self._encoder().encode(texts, on_batch, should_stop)
        # C=10: unit-length 384-d vectors need weak regularisation; C=1 underfits by ~3 points on SST-2
        self.coef_, self.intercept_ = fit_logistic(features, labels, self.classes_, self.C, self.seed)
        if on_progress:
            on_progress({"event": "step", "step": 1, "total_steps": 1, "epoch": 1.0, "eta_s": 0})
        return self

    def predict_proba(self, texts) -> np.ndarray:
        return linear_proba(self._encoder().encode([str(t) for t in texts]), self.coef_, self.intercept_, self.multi_label_)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        self._write_meta(path)
        save_tensors(path / "model.safetensors", {"coef": self.coef_, "intercept": self.intercept_})

    @classmethod
    def load(cls, path: str | Path) -> "EmbeddingClassifier":
        meta = read_meta(path)
        model = cls(**meta["params"])
        model.restore_decisions(meta)
        model.classes_ = meta["classes"]
        tensors = load_tensors(Path(path) / "model.safetensors")
        model.coef_, model.intercept_ = tensors["coef"], tensors["intercept"]
        return model
