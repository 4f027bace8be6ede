"""Contender: SetFit (Tunstall et al. 2022), for few labels: the sentence-embedding body is tuned contrastively on
pairs of training texts (same label: pulled together; different: pushed apart), then a logistic-regression head
is fitted on the tuned embeddings. Strong with 8-64 labelled texts per class, where fine-tuning a Transformer's
classifier is weak: the pairs multiply the few labels (8 per class x 5 classes = 40 texts, 780 pairs).

The `setfit` library makes the pairs and trains the body (its Trainer's embedding phase, through Sentence
Transformers); the head is fitted here with the same scikit-learn LogisticRegression SetFit uses, so it is saved
as safetensors weights, never joblib's pickle. The body is saved by Sentence Transformers (safetensors).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from core import labelsets
from core.checkpoints import offline_error, pick_device, quiet_transformers, resolve_checkpoint
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

PAIRS_PER_TEXT = 20  # SetFit's num_iterations: 20 x 2 pairs a text, as in the paper's few-shot runs
MAX_STEPS = 400  # body steps at most unless --max-steps says otherwise: ~80 s on 2 cores at 16 pairs a step
# texts the body is tuned on, at most (a seeded sample; the head still learns from every text): setfit builds its
# pairs from all pairs of texts, and GoEmotions' 43k texts took 23 GB before the process was killed; 400 steps of 16
# pairs use 6,400 pairs, which 1,000 texts give many times over
MAX_PAIR_TEXTS = 1000
BODY = "body"  # the tuned Sentence Transformer's folder inside the model folder


class SetFitClassifier(ClassifierMixin):
    """A contrastively tuned sentence-embedding body and a logistic-regression head."""

    kind = "setfit"

    def __init__(self, checkpoint: str = "default", batch_size: int = 16, max_steps: int = 0, lr: float = 2e-5,
                 C: float = 1.0, max_length: int = 128, seed: int = 42):
        self.checkpoint = checkpoint
        self.batch_size = batch_size  # pairs a step
        self.max_steps = max_steps  # body steps; 0 = 20 pairs a text, at most MAX_STEPS
        self.lr = lr  # the body's learning rate (SetFit's default 2e-5)
        self.C = C  # the head's inverse regularisation (scikit-learn's default, which SetFit keeps)
        self.max_length = max_length
        self.seed = seed

    @classmethod
    def from_config(cls, config) -> "SetFitClassifier":
        # the fine-tune's 5e-5 default is for a classifier head on a fresh layer; SetFit's body wants 2e-5
        lr = config.lr if config.lr != 5e-5 else 2e-5
        return cls(checkpoint=config.checkpoint, batch_size=config.batch_size, max_steps=config.max_steps, lr=lr,
                   C=config.C or 1.0, max_length=config.max_length, seed=config.seed)

    def fit(self, texts, labels, *, on_progress: ProgressFn = None, should_stop: StopFn = None) -> "SetFitClassifier":
        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        self.multi_label_ = is_sets(labels)
        emit = on_progress or (lambda e: None)
        self.body_ = _load_body(self.checkpoint, self.max_length)
        steps = self.max_steps or min(MAX_STEPS, max(1, PAIRS_PER_TEXT * 2 * len(texts) // self.batch_size))
        emit({"event": "start", "total_steps": steps + 1, "device": pick_device(), "train_rows": len(texts)})
        self.stopped_ = self._tune_body(*_pair_sample(texts, labels, self.seed), steps, emit, should_stop)
        check_stop(lambda: self.stopped_ and self.best_step_ is None)  # stopped before a step: nothing to keep
        features = self._encode(texts)
        self.coef_, self.intercept_ = fit_logistic(features, labels, self.classes_, self.C, self.seed)
        emit({"event": "step", "step": steps + 1, "total_steps": steps + 1, "eta_s": 0})
        return self

    def _tune_body(self, texts, labels, steps: int, emit, should_stop: StopFn) -> bool:
        """SetFit's embedding phase; returns True when stopped early (what was tuned so far is kept)."""
        from setfit import SetFitModel, Trainer, TrainingArguments  # put off: loads setfit, datasets (~3 s)
        from setfit import logging as setfit_logging
        from transformers import PrinterCallback, TrainerCallback

        setfit_logging.set_verbosity_warning()  # setfit turns its own INFO lines on at import

        t0, stopped = time.time(), [False]
        owner = self

        class Progress(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                done, elapsed = state.global_step, time.time() - t0
                owner.best_step_ = done
                loss = next((h["embedding_loss"] for h in reversed(state.log_history) if "embedding_loss" in h), None)
                emit({"event": "step", "step": done, "total_steps": steps + 1, "loss": loss, "epoch": done / steps,
                      "samples_per_s": round(done * owner.batch_size / max(elapsed, 1e-6), 1),  # pairs a second
                      "eta_s": round(elapsed / done * (steps - done), 1)})
                if should_stop and should_stop():
                    stopped[0] = control.should_training_stop = True
                return control

        # label sets: setfit pairs texts sharing a label as positives (its multi-label sampler)
        strategy = "one-vs-rest" if self.multi_label_ else None
        model = SetFitModel(model_body=self.body_, model_head=None, labels=self.classes_,
                            multi_target_strategy=strategy)
        ids = labelsets.matrix(labels, self.classes_).tolist() if self.multi_label_ else \
            [self.classes_.index(y) for y in labels]
        with tempfile.TemporaryDirectory() as tmp:
            args = TrainingArguments(output_dir=tmp, batch_size=self.batch_size, num_iterations=PAIRS_PER_TEXT,
                                     max_steps=steps, body_learning_rate=self.lr, seed=self.seed, report_to="none",
                                     logging_steps=10, save_strategy="no", show_progress_bar=False)
            trainer = Trainer(model=model, args=args, callbacks=[Progress()])
            trainer.st_trainer.remove_callback(PrinterCallback)  # progress goes to our events, not stdout
            trainer.train_embeddings(texts, ids, args=args)
        return stopped[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.body_.encode([str(t) for t in texts], batch_size=64, convert_to_numpy=True,
                                            show_progress_bar=False))

    def predict_proba(self, texts) -> np.ndarray:
        return linear_proba(self._encode(list(texts)), self.coef_, self.intercept_, self.multi_label_)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        self._write_meta(path)
        self.body_.save(str(path / BODY), safe_serialization=True)
        save_tensors(path / "model.safetensors", {"coef": self.coef_, "intercept": self.intercept_})

    @classmethod
    def load(cls, path: str | Path) -> "SetFitClassifier":
        meta = read_meta(path)
        model = cls(**meta["params"])
        model.restore_decisions(meta)
        model.classes_ = meta["classes"]
        model.body_ = _load_body(str(Path(path) / BODY), model.max_length, local=True)
        tensors = load_tensors(Path(path) / "model.safetensors")
        model.coef_, model.intercept_ = tensors["coef"], tensors["intercept"]
        return model


def _load_body(checkpoint: str, max_length: int, local: bool = False):
    """A Sentence Transformer from a checkpoint (the embedded MiniLM by default; mean pooling is added to a plain
    Transformer folder) or from a saved model's body folder."""
    from sentence_transformers import SentenceTransformer  # put off: loads torch, transformers (~3 s)

    quiet_transformers()
    source = checkpoint if local else resolve_checkpoint(checkpoint)
    try:
        body = SentenceTransformer(str(source), device=pick_device(), local_files_only=local or Path(source).is_dir())
    except (OSError, ValueError) as exc:
        raise offline_error(checkpoint, exc) from exc
    body.max_seq_length = max_length
    return body


def _pair_sample(texts: list[str], labels: list, seed: int) -> tuple[list[str], list]:
    """At most MAX_PAIR_TEXTS texts (and their labels) for the body's pairs, a seeded random sample."""
    if len(texts) <= MAX_PAIR_TEXTS:
        return texts, labels
    keep = np.sort(np.random.default_rng(seed).choice(len(texts), MAX_PAIR_TEXTS, replace=False))
    return [texts[i] for i in keep], [labels[i] for i in keep]

