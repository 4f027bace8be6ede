"""Contender 5: the prompted LLM, LoRA-tuned on the training rows: the ladder zero-shot -> few-shot -> LoRA is one
model compared with itself.

The same prompt (zero-shot: the task and the labels; examples would multiply every training sequence's length) and
the same label scoring (core.contenders.llm_scoring). Low-rank adapters (peft) on the attention and MLP projections
learn with the causal language-model loss on the label's tokens and the end-of-turn after them, nothing else, so
the model learns to answer with a label. Saved as the adapter in safetensors plus the base model's reference;
contextual calibration is decided on the validation rows as for the prompted LLM. Trains through Accelerate like the
fine-tune: fp32 on a CPU, bf16 on a GPU, one process per GPU under `accelerate launch -m core train ...`.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

from core.chat.endpoints import is_endpoint
from core.contenders import llm_scoring as scoring
from core.contenders.base import FitStopped, ProgressFn, StopFn, check_fit_inputs, check_stop, read_meta
from core.contenders.llm import VAL_ROWS, LLMClassifier
from core.contenders.llm_models import load_llm_fresh, require_model
from core.contenders.training import adamw, precision, total_steps, warmup_then_linear
from core.errors import DataError

LORA_R, LORA_ALPHA = 8, 16  # rank 8 adds 0.9% to SmolLM2-135M's weights; alpha 2r is peft's usual scale
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]  # Llama-style names


class LoRALLMClassifier(LLMClassifier):
    """The prompted LLM with LoRA adapters trained on every training row."""

    kind = "llm-lora"

    def __init__(self, llm: str = "default", task: str = "", calibrate: bool = True, epochs: int = 1,
                 batch_size: int = 8, lr: float = 2e-4, max_length: int = 128, max_steps: int = 0, seed: int = 42,
                 descriptions: str = ""):
        super().__init__(llm=llm, shots=0, task=task, calibrate=calibrate, seed=seed, descriptions=descriptions)
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.max_length = max_length  # a training text is cut to this many tokens
        self.max_steps = max_steps

    @classmethod
    def from_config(cls, config) -> "LoRALLMClassifier":
        """As every contender, except a learning rate left at the fine-tune's default (5e-5): adapters this small
        learn at 2e-4 (the LoRA paper's range; 5e-5 left SmolLM2's loss flat for 50 steps)."""
        model = super().from_config(config)
        if config.lr == type(config)().lr:
            model.lr = 2e-4
        return model

    def fit(self, texts, labels, *, on_progress: ProgressFn = None, should_stop: StopFn = None,
            eval_set: tuple[list[str], list[str]] | None = None) -> "LoRALLMClassifier":
        import torch  # put off: loads torch (~1.8 s)
        from accelerate import Accelerator  # put off: loads accelerate (~0.5 s with torch loaded)
        from peft import LoraConfig, get_peft_model  # put off: loads peft (with transformers, ~1.5 s)

        texts, labels, self.classes_ = check_fit_inputs(texts, labels)
        if is_endpoint(self.llm):
            raise DataError("LoRA tunes a model's own weights, which a server does not share; pick a local model for "
                            "the LoRA-tuned LLM (a server can be the prompted LLM).")
        torch.manual_seed(self.seed)
        emit = on_progress or (lambda e: None)
        self.examples_, self.history_, self.stopped_ = [], [], False
        tokenizer, base, self.reference_ = load_llm_fresh(self.llm)  # its own copy: adapters change it in place
        self.peft_ = get_peft_model(base, LoraConfig(r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=0.05,
                                                     target_modules=TARGETS, task_type="CAUSAL_LM"))
        self.tokenizer_ = tokenizer
        rows = list(zip(*eval_set, strict=True))[:VAL_ROWS] if eval_set else []
        examples = self._examples(texts, labels)
        accelerator = Accelerator(mixed_precision=precision())  # bf16 on a GPU; one process per GPU under a launch
        batches = math.ceil(len(examples) / (self.batch_size * accelerator.num_processes))
        total = total_steps(batches, 1, self.epochs, self.max_steps)
        emit = emit if accelerator.is_main_process else (lambda e: None)
        emit({"event": "start", "total_steps": total + len(rows), "device": accelerator.device.type,
              "precision": accelerator.mixed_precision, "train_rows": len(texts)})
        try:
            self._train(accelerator, examples, total, emit, should_stop)
        except FitStopped:  # the adapters learned so far are kept
            self.stopped_ = True
        self.peft_.eval()
        self._prepare()
        self._decide_calibration(rows, emit, should_stop, done=total)
        return self

    def _examples(self, texts: list[str], labels: list[str]) -> list[tuple[list[int], list[int]]]:
        """(prompt ids, answer ids) per training row: the zero-shot prompt with the text, then the label and the
        end-of-turn tokens, the only ones the loss counts."""
        system = scoring.system_turn(self.classes_, self.task, scoring.described(self.descriptions, self.classes_))
        prefix, rest, close = scoring.chat_parts(self.tokenizer_, system, [])
        answers = dict(zip(self.classes_, scoring.label_ids(self.tokenizer_, self.classes_, close, always_close=True), strict=True))
        prefix_ids = scoring.encode(self.tokenizer_, prefix)
        out = []
        for text, label in zip(texts, labels, strict=True):
            text_ids = scoring.encode(self.tokenizer_, rest(text))[-self.max_length:]  # the answer cue is at the end
            out.append((prefix_ids + text_ids, answers[label]))
        return out

    def _train(self, accelerator, examples, total: int, emit, should_stop: StopFn) -> None:
        import torch  # put off: loads torch (~1.8 s)

        pad = self.tokenizer_.eos_token_id or 0
        loader = torch.utils.data.DataLoader(examples, batch_size=self.batch_size, shuffle=True,
                                             generator=torch.Generator().manual_seed(self.seed),
                                             collate_fn=lambda batch: _batch(batch, pad, torch))
        optimizer = adamw(self.peft_, self.lr, 0.0)  # LoRA: no weight decay on the small adapters
        model, optimizer, loader = accelerator.prepare(self.peft_, optimizer, loader)  # shards the rows per GPU
        scheduler = warmup_then_linear(optimizer, total, 0.06)
        step, t0 = 0, time.time()
        model.train()
        try:
            for _ in range(self.epochs):
                for ids, target in loader:
                    check_stop(should_stop)
                    # right padding needs no mask: a causal model never looks ahead, and the pads' labels are -100
                    loss = model(input_ids=ids, labels=target).loss
                    accelerator.backward(loss)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                    step += 1
                    elapsed = time.time() - t0
                    emit({"event": "step", "step": step, "epoch": round(step / max(1, len(loader)), 3),
                          "loss": round(loss.item(), 4), "lr": scheduler.get_last_lr()[0],
                          "eta_s": round(elapsed / step * (total - step), 1)})
                    if step >= total:
                        return
        finally:  # stopped or done: the adapters as trained, outside any multi-GPU wrapper
            self.peft_ = accelerator.unwrap_model(model)

    def _scoring_model(self):
        """The adapted model merged into a copy of the base, so it scores at the base's speed; `peft_` keeps the
        adapter apart for saving."""
        import copy

        return self.tokenizer_, copy.deepcopy(self.peft_).merge_and_unload().eval(), self.reference_

    def save(self, path: str | Path) -> None:
        """The adapter (safetensors), its config and the prompt's makings; the base model only by reference."""
        super().save(path)
        self.peft_.save_pretrained(str(Path(path) / "adapter"), safe_serialization=True)

    @classmethod
    def load(cls, path: str | Path) -> "LoRALLMClassifier":
        from peft import PeftModel  # put off: loads peft (~1.5 s)

        meta = read_meta(path)
        model = cls.restored(meta)  # examples: [] (the LoRA prompt is zero-shot)
        require_model(model.llm, meta["reference"])
        tokenizer, base, model.reference_ = load_llm_fresh(model.llm)
        model.tokenizer_ = tokenizer
        model.peft_ = PeftModel.from_pretrained(base, str(Path(path) / "adapter")).eval()
        model._prepare()
        return model


def _batch(batch: list[tuple[list[int], list[int]]], pad: int, torch):
    """Input ids (right-padded) and labels: -100 everywhere but the answer's tokens, which the loss counts."""
    longest = max(len(p) + len(a) for p, a in batch)
    ids = [p + a + [pad] * (longest - len(p) - len(a)) for p, a in batch]
    target = [[-100] * len(p) + a + [-100] * (longest - len(p) - len(a)) for p, a in batch]
    return torch.tensor(ids), torch.tensor(target)
