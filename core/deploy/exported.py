"""What the exports of a fine-tuned run share: one classifier over any runtime, the check on the test rows, the
int8 rule. core.deploy.onnx and core.deploy.openvino each add a runtime; core.deploy.runtimes picks among them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from core import labelsets
from core.contenders import registry
from core.contenders.base import read_meta
from core.contenders.batching import pad, sorted_batches, tokenize
from core.runs import ONNX_VERIFY, RunFolder

INT8_TOLERANCE = 0.005  # accuracy may drop by at most half a point


class ExportedClassifier:
    """predict_proba over an exported file with the run's tokenizer; same classes and decisions as the eager
    model. A runtime supplies `_open(file, threads)` and `_logits(feeds)`: the logits of each padded batch, in order."""

    explain_method = "occlusion"  # the explainers only call predict_proba, so they run on whatever serves
    multi_label_, thresholds_ = False, None  # from the run's tunelab.json (`from_run`): sigmoid and thresholds
    pad_multiple = 1  # a runtime that compiles per input shape pads lengths up to a multiple of this

    def __init__(self, file: Path, model_dir: Path, classes: list[str], max_length: int, threads: int | None = None):
        from transformers import AutoTokenizer  # put off: loads huggingface_hub, transformers (~1.1 s)

        self.tokenizer_ = AutoTokenizer.from_pretrained(str(model_dir))
        self.classes_, self.max_length, self.file = list(classes), max_length, Path(file)
        self.max_tokens: int | None = None  # a padded-token budget per batch (core.deploy.serve sets one)
        self._open(self.file, threads)

    def _open(self, file: Path, threads: int | None) -> None:  # pragma: no cover - each runtime's own
        raise NotImplementedError

    @classmethod
    def from_run(cls, run: RunFolder, file: Path, threads: int | None = None) -> "ExportedClassifier":
        meta = read_meta(run.model_dir)
        model = cls(file, run.model_dir, meta["classes"], meta["params"]["max_length"], threads)
        model.restore_decisions(meta)
        return model

    def restore_decisions(self, meta: dict) -> None:
        """A threshold saved later (core.thresholds) reaches a loaded model through this, as for the eager one."""
        self.multi_label_, self.thresholds_ = bool(meta.get("multi_label")), meta.get("thresholds")

    def _logits(self, feeds: list[dict]) -> list[np.ndarray]:  # pragma: no cover - each runtime's own
        raise NotImplementedError

    def feeds(self, texts: list[str], batch_size: int = 32) -> tuple[list[np.ndarray], list[dict]]:
        """The texts as the runtime's inputs: length-sorted batches (row indices) and each one's padded arrays."""
        ids = tokenize(self.tokenizer_, texts, self.max_length)
        batches = sorted_batches([len(x) for x in ids], batch_size, self.max_tokens)
        feeds = []
        for idx in batches:
            input_ids, mask = pad([ids[i] for i in idx], self.tokenizer_.pad_token_id or 0, self.pad_multiple)
            feeds.append({"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()})
        return batches, feeds

    def predict_proba(self, texts, batch_size: int = 32) -> np.ndarray:
        texts = [str(t) for t in texts]
        batches, feeds = self.feeds(texts, batch_size)
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        for idx, logits in zip(batches, self._logits(feeds), strict=True):
            if self.multi_label_:
                out[idx] = 1.0 / (1.0 + np.exp(-logits))
                continue
            e = np.exp(logits - logits.max(1, keepdims=True))
            out[idx] = e / e.sum(1, keepdims=True)
        return out

    def decide(self, proba: np.ndarray) -> list[str]:
        return labelsets.decide(proba, self.classes_, self.multi_label_, self.thresholds_)

    def explain(self, text: str, target: str | None = None):
        """Occlusion on this runtime: each word left out in turn, one batch (the classifier contract's explain)."""
        from core.trust.explain import explain_with, occlusion  # put off: loads rjieba (~0.1 s)

        return explain_with(self, text, target, lambda t, spans, i: occlusion(self, t, spans, i), "occlusion")

    def predict(self, texts) -> list:
        decided = self.decide(self.predict_proba(list(texts)))
        return [labelsets.decode(d) for d in decided] if self.multi_label_ else decided


def exportable(run: RunFolder) -> bool:
    """A finished run whose model folder is a Transformer (the fine-tune): the only kind worth exporting."""
    metrics = run.metrics()
    return metrics is not None and registry.get(metrics["model"]).hf_format


def verify(model: ExportedClassifier, file: Path, test) -> dict:
    """How an export does on the run's test rows against the probabilities the eager model stored at training."""
    t0 = time.time()
    proba = model.predict_proba(test["text"].tolist())
    eager = test[[f"p:{c}" for c in model.classes_]].to_numpy()
    pred = np.array(model.decide(proba))
    return {"file": file.name, "accuracy": float((pred == test["label"].to_numpy()).mean()),
            "max_prob_diff": float(np.abs(proba - eager).max()), "agreement": float((pred == test["pred"]).mean()),
            "seconds": round(time.time() - t0, 2)}


def fp32_report(model: ExportedClassifier, file: Path, test) -> dict:
    """verify.json's start: the test rows, the trained model's accuracy on them, and the fp32 export's check."""
    return {"rows": len(test), "eager_accuracy": float((test["pred"] == test["label"]).mean()),
            "fp32": verify(model, file, test)}


def int8_verdict(check: dict, eager_accuracy: float, tolerance: float, files: list[Path]) -> dict:
    """Keep int8 only when it costs less than `tolerance` accuracy; otherwise delete its files and say why."""
    drop = eager_accuracy - check["accuracy"]
    if drop < tolerance:  # a tolerance of 0 refuses int8 unless it is more accurate than the trained model
        return check
    for file in files:
        file.unlink(missing_ok=True)
    return {**check, "refused": f"int8 lost {drop:.1%} accuracy on the test rows (more than {tolerance:.1%}); "
                                "the fp32 export is kept and used instead."}


def write_report(folder: Path, report: dict) -> None:
    (folder / ONNX_VERIFY).write_text(json.dumps(report, indent=1), encoding="utf-8")
