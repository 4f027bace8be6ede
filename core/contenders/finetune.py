"""Contender 3: full fine-tuning of a sequence-classification Transformer.

Runs on Accelerate, so the same code trains on CPU, one GPU (bf16) or several
GPUs under `accelerate launch -m core train ...`. Where the speed comes from on
a 2-core CPU (benchmarks/RESULTS.md has the numbers against HF Trainer):
texts are tokenised once, batches hold texts of similar length and are padded
per batch, and validation runs length-sorted under inference_mode.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from core.checkpoints import (load_tokenizer, not_a_model_folder, offline_error, pick_device, quiet_transformers,
                              resolve_checkpoint)
from core.contenders.base import (ClassifierMixin, FitStopped, ProgressFn, StopFn, check_fit_inputs, check_stop,
                                  read_meta)
from core.contenders.batching import length_grouped_batches, pad, sorted_batches, tokenize


class _LengthGroupedSampler:
    """Batch sampler: a new length-grouped shuffle each epoch, identical on every process.
    The epoch is set explicitly (not counted from __iter__ calls), so every rank agrees."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int):
        self.lengths, self.batch_size, self.seed, self.epoch = lengths, batch_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        rng = np.random.default_rng(self.seed + self.epoch)
        return iter([b.tolist() for b in length_grouped_batches(self.lengths, self.batch_size, rng)])

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)


class _Tracker:
    """Early stopping on validation macro-F1, keeping a CPU copy of the best weights."""

    def __init__(self, steps_per_epoch: int):
        self.steps_per_epoch, self.best_f1, self.bad, self.best_step, self.best_state = steps_per_epoch, -1.0, 0, 0, None

    def record(self, f1: float, step: int, model) -> None:
        if f1 > self.best_f1:
            self.best_f1, self.bad, self.best_step = f1, 0, step
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            self.bad += 1


class FineTuneClassifier(ClassifierMixin):
    """Fine-tunes all weights of a checkpoint (embedded MiniLM by default)."""

    kind = "finetune"
    explain_method = "integrated_gradients"  # see core.explain

    def __init__(self, checkpoint: str = "default", epochs: int = 3, batch_size: int = 16, max_length: int = 128,
                 lr: float = 5e-5, weight_decay: float = 0.01, warmup_ratio: float = 0.06, grad_accum: int = 1,
                 max_grad_norm: float = 1.0, eval_every: int = 0, patience: int = 2, max_steps: int = 0,
                 seed: int = 42):
        self.checkpoint = checkpoint
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_length = max_length
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.grad_accum = grad_accum
        self.max_grad_norm = max_grad_norm
        self.eval_every = eval_every  # 0: validate at the end of each epoch
        self.patience = patience  # evaluations without a better val macro-F1 before stopping
        self.max_steps = max_steps  # 0: no cap (tests use a handful)
        self.seed = seed

    def fit(self, texts, labels, *, on_progress: ProgressFn = None, should_stop: StopFn = None,
            eval_set: tuple[list[str], list[str]] | None = None) -> "FineTuneClassifier":
        """Train; with `eval_set` validate, early-stop on macro-F1 and keep the best weights."""
        import torch
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        set_seed(self.seed)
        acc = Accelerator(mixed_precision=_precision(), gradient_accumulation_steps=self.grad_accum)
        self.tokenizer_ = load_tokenizer(self.checkpoint)
        model = self._new_model()
        index = {c: i for i, c in enumerate(self.classes_)}
        ids, y = tokenize(self.tokenizer_, texts, self.max_length), [index[v] for v in labels]
        pad_id = self.tokenizer_.pad_token_id or 0
        multiple = 8 if acc.device.type == "cuda" else 1  # tensor cores like multiples of 8; CPUs don't care

        def collate(rows):
            input_ids, mask = pad([ids[i] for i in rows], pad_id, multiple)
            return input_ids, mask, torch.tensor([y[i] for i in rows])

        self._sampler = _LengthGroupedSampler([len(x) for x in ids], self.batch_size, self.seed)
        loader = torch.utils.data.DataLoader(list(range(len(ids))), collate_fn=collate, batch_sampler=self._sampler)
        optimizer = _adamw(_param_groups(model, self.weight_decay), self.lr)
        model, optimizer, loader = acc.prepare(model, optimizer, loader)
        total = math.ceil(len(loader) / self.grad_accum) * self.epochs
        total = min(total, self.max_steps) if self.max_steps else total
        warmup = int(total * self.warmup_ratio)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: (s + 1) / max(1, warmup) if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
        self.history_, self.stopped_ = [], False
        emit = (on_progress if acc.is_main_process and on_progress else None) or (lambda e: None)
        emit({"event": "start", "total_steps": total, "device": acc.device.type,
              "precision": acc.mixed_precision, "train_rows": len(texts)})
        self._loop(acc, model, optimizer, scheduler, loader, total, emit, should_stop, eval_set)
        return self

    def _loop(self, acc, model, optimizer, scheduler, loader, total, emit, should_stop, eval_set) -> None:
        import torch

        track = _Tracker(steps_per_epoch=max(1, math.ceil(len(loader) / self.grad_accum)))
        t0, seen, running, n_loss, step = time.time(), 0, 0.0, 0, 0
        for epoch in range(self.epochs):
            self._sampler.set_epoch(epoch)
            model.train()
            for input_ids, mask, target in loader:
                try:
                    check_stop(should_stop)
                except FitStopped:  # what it has learned so far is kept and usable
                    self.stopped_ = True
                    break
                with acc.accumulate(model):
                    logits = model(input_ids=input_ids, attention_mask=mask).logits
                    loss = torch.nn.functional.cross_entropy(logits.float(), target)
                    acc.backward(loss)
                    if acc.sync_gradients:
                        acc.clip_grad_norm_(model.parameters(), self.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                running, n_loss, seen = running + loss.item(), n_loss + 1, seen + len(target) * acc.num_processes
                if not acc.sync_gradients:
                    continue
                scheduler.step()
                step += 1
                if step % 5 == 0 or step == total:  # ~1 event a second on CPU; cheap on GPU
                    el = time.time() - t0
                    emit({"event": "step", "step": step, "epoch": round(step / track.steps_per_epoch, 3),
                          "loss": round(running / n_loss, 4), "lr": scheduler.get_last_lr()[0],
                          "samples_per_s": round(seen / el, 1), "eta_s": round(el / step * (total - step), 1)})
                    running, n_loss = 0.0, 0
                if eval_set and self._due(step, total, track):
                    track.record(self._evaluate(acc, model, eval_set, step, emit), step, acc.unwrap_model(model))
                    model.train()
                if step >= total or track.bad >= self.patience:
                    break
            if self.stopped_ or step >= total or track.bad >= self.patience:
                break
        self.model_ = acc.unwrap_model(model)
        if track.best_state is not None:
            self.model_.load_state_dict(track.best_state)
        self.model_.eval()
        self.best_step_, self.train_seconds_ = track.best_step, round(time.time() - t0, 2)

    def _due(self, step: int, total: int, track: "_Tracker") -> bool:
        """Validate every `eval_every` steps, else at each epoch's end; always at the last step."""
        if step == total:
            return True
        return step % self.eval_every == 0 if self.eval_every else step % track.steps_per_epoch == 0

    def _evaluate(self, acc, model, eval_set, step: int, emit) -> float:
        from sklearn.metrics import accuracy_score, f1_score

        self.model_ = acc.unwrap_model(model)
        val_texts, val_labels = eval_set
        proba = self.predict_proba(val_texts)
        pred = [self.classes_[i] for i in proba.argmax(1)]
        index = {c: i for i, c in enumerate(self.classes_)}
        known = [i for i, v in enumerate(val_labels) if v in index]
        loss = float(-np.mean(np.log(np.clip(proba[known, [index[val_labels[i]] for i in known]], 1e-12, 1)))) if known else None
        f1 = float(f1_score(val_labels, pred, average="macro", zero_division=0))
        event = {"event": "eval", "step": step, "val_macro_f1": round(f1, 4),
                 "val_accuracy": round(float(accuracy_score(val_labels, pred)), 4),
                 "val_loss": None if loss is None else round(loss, 4)}
        self.history_.append(event)
        emit(event)
        return f1

    def _new_model(self):
        from transformers import AutoModelForSequenceClassification

        quiet_transformers()
        labels = {i: c for i, c in enumerate(self.classes_)}
        try:
            return AutoModelForSequenceClassification.from_pretrained(
                resolve_checkpoint(self.checkpoint), num_labels=len(labels), id2label=labels,
                label2id={c: i for i, c in labels.items()}, ignore_mismatched_sizes=True,
                use_safetensors=True)  # never unpickle a checkpoint
        except (OSError, ValueError) as exc:
            raise offline_error(self.checkpoint, exc) from exc

    def predict_proba(self, texts, batch_size: int = 64) -> np.ndarray:
        import torch

        texts = [str(t) for t in texts]
        ids = tokenize(self.tokenizer_, texts, self.max_length)
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        device = next(self.model_.parameters()).device
        pad_id = self.tokenizer_.pad_token_id or 0
        was_training = self.model_.training
        self.model_.eval()
        with torch.inference_mode():
            for idx in sorted_batches([len(x) for x in ids], batch_size):
                input_ids, mask = pad([ids[i] for i in idx], pad_id)
                logits = self.model_(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
                out[idx] = torch.softmax(logits.float(), -1).cpu().numpy()
        self.model_.train(was_training)
        return out

    def save(self, path: str | Path) -> None:
        """Hugging Face format (safetensors + tokenizer + id2label) plus tunelab.json."""
        path = Path(path)
        self._write_meta(path, best_step=self.best_step_, stopped=self.stopped_)
        self.model_.save_pretrained(path)
        self.tokenizer_.save_pretrained(path)

    @classmethod
    def load(cls, path: str | Path) -> "FineTuneClassifier":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        quiet_transformers()
        meta = read_meta(path)
        model = cls(**meta["params"])
        model.classes_ = meta["classes"]
        try:
            model.tokenizer_ = AutoTokenizer.from_pretrained(str(path))
            model.model_ = AutoModelForSequenceClassification.from_pretrained(str(path), use_safetensors=True).to(
                pick_device()).eval()
        except (OSError, ValueError) as exc:  # no safetensors (a pickle-only folder), or a damaged one
            raise not_a_model_folder(str(path)) from exc
        model.best_step_, model.stopped_ = meta.get("best_step", 0), meta.get("stopped", False)
        return model


def _precision() -> str:
    import torch

    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def _adamw(groups: list[dict], lr: float):
    """Fused AdamW: one kernel for all tensors. On 2 CPU cores it cuts MiniLM's
    optimizer step from ~107 ms to ~22 ms (the forward+backward pass is ~240 ms)."""
    import torch

    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # a device or build without the fused kernel
        return torch.optim.AdamW(groups, lr=lr)


def _param_groups(model, weight_decay: float) -> list[dict]:
    """No weight decay on biases and LayerNorm weights (as in BERT's recipe)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "LayerNorm" in name or name.endswith("bias") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
