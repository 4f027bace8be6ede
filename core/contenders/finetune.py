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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import labelsets
from core.checkpoints import load_tokenizer, not_a_model_folder, offline_error, pick_device, quiet_transformers, resolve_checkpoint
from core.contenders.base import (
    ClassifierMixin,
    FitStopped,
    ProgressFn,
    StopFn,
    check_fit_inputs,
    check_stop,
    is_sets,
    read_meta,
)
from core.contenders.batching import pad, sorted_batches, tokenize
from core.contenders.training import LengthGroupedSampler, Tracker, adamw, precision, total_steps, warmup_then_linear
from core.trust.explain import spread

# Integrated Gradients steps: on MiniLM 24 left a completeness gap of 1e-4 and explained 65 words in ~0.6 s on 2 cores
IG_STEPS = 24
# label sets: the sigmoid head learns at 10x the body's rate. On the multi-label demo (320 rows, 60 steps) test
# micro-F1 at 0.5 was 0.00 with neither this nor _prior_bias, 0.51 with the prior bias alone, 0.71 with both
HEAD_SCALE = 10.0


@dataclass
class _Run:
    """What one training loop works with, passed to its steps rather than parked on the contender."""

    accelerator: object
    model: object
    optimizer: object
    scheduler: object
    loader: object
    sampler: LengthGroupedSampler
    total: int  # optimizer updates in the whole run
    updates_per_epoch: int
    emit: object


class FineTuneClassifier(ClassifierMixin):
    """Fine-tunes all weights of a checkpoint (embedded MiniLM by default)."""

    kind = "finetune"
    explain_method = "integrated_gradients"  # word_weights below

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
        from accelerate import Accelerator  # put off: loads accelerate, safetensors, torch (~2.1 s)
        from accelerate.utils import set_seed  # put off: loads accelerate, safetensors, torch (~2.2 s)

        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        self.multi_label_ = is_sets(labels)
        set_seed(self.seed)
        accelerator = Accelerator(mixed_precision=precision(), gradient_accumulation_steps=self.grad_accum)
        self.tokenizer_ = load_tokenizer(self.checkpoint)
        sampler, loader = self._loader(texts, labels, accelerator.device.type)
        model = self._new_model()
        if self.multi_label_:
            _prior_bias(model, labelsets.matrix(labels, self.classes_))
        optimizer = adamw(model, self.lr, self.weight_decay, HEAD_SCALE if self.multi_label_ else 1.0)
        model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
        total = total_steps(len(loader), self.grad_accum, self.epochs, self.max_steps)
        emit = (on_progress if accelerator.is_main_process and on_progress else None) or (lambda e: None)
        run = _Run(accelerator, model, optimizer, warmup_then_linear(optimizer, total, self.warmup_ratio), loader,
                   sampler, total, math.ceil(len(loader) / self.grad_accum), emit)
        self.history_, self.stopped_ = [], False
        emit({"event": "start", "total_steps": total, "device": accelerator.device.type,
              "precision": accelerator.mixed_precision, "train_rows": len(texts)})
        t0 = time.time()
        tracker = self._loop(run, should_stop, eval_set)
        self.model_ = accelerator.unwrap_model(model)
        if tracker.best_state is not None:
            self.model_.load_state_dict(tracker.best_state)
        self.model_.eval()
        self.best_step_, self.train_seconds_ = tracker.best_step, round(time.time() - t0, 2)
        return self

    def _loader(self, texts: list[str], labels: list[str], device_type: str):
        """Texts tokenised once; batches of similar lengths, padded per batch."""
        import torch  # put off: loads torch (~1.9 s)

        index = {c: i for i, c in enumerate(self.classes_)}
        ids = tokenize(self.tokenizer_, texts, self.max_length)
        # label sets: a 0/1 row per text for binary cross-entropy; one class: its index for cross-entropy
        y = labelsets.matrix(labels, self.classes_).astype(np.float32) if self.multi_label_ else [index[v] for v in labels]
        pad_id = self.tokenizer_.pad_token_id or 0
        multiple = 8 if device_type == "cuda" else 1  # tensor cores like multiples of 8; CPUs don't care

        def collate(rows):
            input_ids, mask = pad([ids[i] for i in rows], pad_id, multiple)
            return input_ids, mask, torch.tensor(np.stack([y[i] for i in rows]) if self.multi_label_ else [y[i] for i in rows])

        sampler = LengthGroupedSampler([len(x) for x in ids], self.batch_size, self.seed)
        return sampler, torch.utils.data.DataLoader(list(range(len(ids))), collate_fn=collate, batch_sampler=sampler)

    def _loop(self, run: "_Run", should_stop: StopFn, eval_set) -> Tracker:
        """Epochs of updates until the step budget, the patience or a stop request runs out; returns the tracker
        (best step and weights). Sets `stopped_` when asked to stop: what was learned so far is kept."""
        tracker, step, loss_sum, losses, seen, t0 = Tracker(self.patience), 0, 0.0, 0, 0, time.time()
        for epoch in range(self.epochs):
            run.sampler.set_epoch(epoch)
            run.model.train()
            for input_ids, mask, target in run.loader:
                try:
                    check_stop(should_stop)
                except FitStopped:  # what it has learned so far is kept and usable
                    self.stopped_ = True
                    return tracker
                loss = self._backward(run, input_ids, mask, target)
                loss_sum, losses, seen = loss_sum + loss, losses + 1, seen + len(target) * run.accelerator.num_processes
                # with grad_accum > 1 most batches only add gradients; the schedule, the step count, progress and
                # validation move with the optimizer's updates, so a run reads the same whatever the accumulation
                if not run.accelerator.sync_gradients:
                    continue
                run.scheduler.step()
                step += 1
                if step % 5 == 0 or step == run.total:  # ~1 event a second on CPU; cheap on GPU
                    elapsed = time.time() - t0
                    run.emit({"event": "step", "step": step, "epoch": round(step / run.updates_per_epoch, 3),
                              "loss": round(loss_sum / losses, 4), "lr": run.scheduler.get_last_lr()[0],
                              "samples_per_s": round(seen / elapsed, 1),
                              "eta_s": round(elapsed / step * (run.total - step), 1)})
                    loss_sum, losses = 0.0, 0
                if eval_set and self._due(step, run):
                    net = run.accelerator.unwrap_model(run.model)
                    tracker.record(self._evaluate(net, eval_set, step, run.emit), step, net)
                    run.model.train()
                if step >= run.total or tracker.out_of_patience:  # the one stop condition, checked once a step
                    return tracker
        return tracker

    def _backward(self, run: "_Run", input_ids, mask, target) -> float:
        """One batch forward and backward; the optimizer steps only when Accelerate's accumulation says so."""
        import torch  # put off: loads torch (~1.9 s)

        with run.accelerator.accumulate(run.model):
            logits = run.model(input_ids=input_ids, attention_mask=mask).logits
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), target.float()) \
                if self.multi_label_ else torch.nn.functional.cross_entropy(logits.float(), target)
            run.accelerator.backward(loss)
            if run.accelerator.sync_gradients:
                run.accelerator.clip_grad_norm_(run.model.parameters(), self.max_grad_norm)
            run.optimizer.step()
            run.optimizer.zero_grad(set_to_none=True)
        return loss.item()

    def _due(self, step: int, run: "_Run") -> bool:
        """Validate every `eval_every` steps, else at each epoch's end; always at the last step."""
        if step == run.total:
            return True
        return step % self.eval_every == 0 if self.eval_every else step % run.updates_per_epoch == 0

    def _evaluate(self, net, eval_set, step: int, emit) -> float:
        """Score the network being trained on the validation rows (`net`, not `model_`, which exists once fit ends)."""
        from sklearn.metrics import accuracy_score, f1_score  # put off: loads pandas, scipy, sklearn (~1.8 s)

        val_texts, val_labels = eval_set
        proba = self._proba(net, val_texts)
        if self.multi_label_:
            return self._evaluate_sets(proba, val_labels, step, emit)
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

    def _evaluate_sets(self, proba: np.ndarray, val_labels, step: int, emit) -> float:
        """Validation for label sets: macro-F1 over labels at 0.5 (thresholds are tuned once training ends),
        subset accuracy, binary cross-entropy."""
        from sklearn.metrics import f1_score  # put off: loads pandas, scipy, sklearn (~1.8 s)

        truth, pred = labelsets.matrix(val_labels, self.classes_), labelsets.flags(proba, self.classes_, None)
        p = np.clip(proba, 1e-7, 1 - 1e-7)
        f1 = float(f1_score(truth, pred, average="macro", zero_division=0))
        event = {"event": "eval", "step": step, "val_macro_f1": round(f1, 4),
                 "val_accuracy": round(float((truth == pred).all(1).mean()), 4),
                 "val_loss": round(float(-np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p))), 4)}
        self.history_.append(event)
        emit(event)
        return f1

    def _new_model(self):
        # put off: loads huggingface_hub, transformers (~1.1 s)
        from transformers import AutoModelForSequenceClassification

        quiet_transformers()
        labels = {i: c for i, c in enumerate(self.classes_)}
        try:
            return AutoModelForSequenceClassification.from_pretrained(
                resolve_checkpoint(self.checkpoint), num_labels=len(labels), id2label=labels,
                label2id={c: i for i, c in labels.items()}, ignore_mismatched_sizes=True,
                # the Hugging Face convention: sigmoid outputs, so pipeline(..., top_k=None) reads label sets
                problem_type="multi_label_classification" if self.multi_label_ else "single_label_classification",
                use_safetensors=True)  # never unpickle a checkpoint
        except (OSError, ValueError) as exc:
            raise offline_error(self.checkpoint, exc) from exc

    def predict_proba(self, texts, batch_size: int = 64) -> np.ndarray:
        return self._proba(self.model_, texts, batch_size)

    def _proba(self, net, texts, batch_size: int = 64) -> np.ndarray:
        import torch  # put off: loads torch (~1.9 s)

        texts = [str(t) for t in texts]
        ids = tokenize(self.tokenizer_, texts, self.max_length)
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        device = next(net.parameters()).device
        pad_id = self.tokenizer_.pad_token_id or 0
        was_training = net.training
        net.eval()
        with torch.inference_mode():
            for idx in sorted_batches([len(x) for x in ids], batch_size):
                input_ids, mask = pad([ids[i] for i in idx], pad_id)
                logits = net(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
                out[idx] = (torch.sigmoid(logits.float()) if self.multi_label_ else
                            torch.softmax(logits.float(), -1)).cpu().numpy()
        net.train(was_training)
        return out

    def word_weights(self, text: str, spans: list[tuple[str, int, int]], target: int):
        """Integrated Gradients of the target logit on the word-embedding layer (captum), from an all-padding
        input; word pieces are summed into the words they cover. The gap: |sum of weights - logit difference|."""
        import torch  # put off: loads torch (~1.9 s)
        from captum.attr import LayerIntegratedGradients  # loaded when a fine-tune first explains

        tok, net = self.tokenizer_, self.model_
        enc = tok(text, truncation=True, max_length=self.max_length, return_offsets_mapping=True, return_tensors="pt")
        offsets = enc.pop("offset_mapping")[0].tolist()
        device = next(net.parameters()).device
        ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
        special = tok.get_special_tokens_mask(ids[0].tolist(), already_has_special_tokens=True)
        keep = torch.tensor(special, device=device).bool()
        baseline = torch.where(keep, ids[0], torch.full_like(ids[0], tok.pad_token_id or 0)).unsqueeze(0)
        lig = LayerIntegratedGradients(lambda i, m: net(input_ids=i, attention_mask=m).logits, net.get_input_embeddings())
        attr, delta = lig.attribute(ids, baselines=baseline, additional_forward_args=(mask,), target=target,
                                    n_steps=IG_STEPS, internal_batch_size=IG_STEPS, return_convergence_delta=True)
        per_token = attr.sum(-1)[0].detach().float().cpu().numpy()
        pieces = [(s, e, w) for (s, e), w, is_special in zip(offsets, per_token, special, strict=True)
                  if not is_special and e > s]
        return spread(spans, pieces), float(delta.abs().item())

    def save(self, path: str | Path) -> None:
        """Hugging Face format (safetensors + tokenizer + id2label) plus tunelab.json."""
        path = Path(path)
        self._write_meta(path, best_step=self.best_step_, stopped=self.stopped_)
        self.model_.save_pretrained(path)
        self.tokenizer_.save_pretrained(path)

    @classmethod
    def load(cls, path: str | Path) -> "FineTuneClassifier":
        # put off: loads huggingface_hub, transformers (~1.1 s)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        quiet_transformers()
        meta = read_meta(path)
        model = cls(**meta["params"])
        model.classes_ = meta["classes"]
        model.restore_decisions(meta)
        try:
            model.tokenizer_ = AutoTokenizer.from_pretrained(str(path))
            model.model_ = AutoModelForSequenceClassification.from_pretrained(str(path), use_safetensors=True).to(
                pick_device()).eval()
        except (OSError, ValueError) as exc:  # no safetensors (a pickle-only folder), or a damaged one
            raise not_a_model_folder(str(path)) from exc
        model.best_step_, model.stopped_ = meta.get("best_step", 0), meta.get("stopped", False)
        return model


def _prior_bias(model, y: np.ndarray) -> None:
    """Start each label's output at its share of the training texts (the log-odds as bias, as in Lin et al.'s focal
    loss paper) rather than at 0.5: with sigmoid outputs the first ~50 steps otherwise only learn those shares
    (HEAD_SCALE has the numbers)."""
    import torch  # put off: loads torch (~1.9 s)

    head = getattr(model, "classifier", None)
    head = getattr(head, "out_proj", head)  # RoBERTa-style heads end in out_proj
    if not isinstance(head, torch.nn.Linear) or head.bias is None:
        return
    share = np.clip(y.mean(0), 1e-3, 1 - 1e-3)
    with torch.no_grad():
        head.bias.copy_(torch.tensor(np.log(share / (1 - share)), dtype=head.bias.dtype))

