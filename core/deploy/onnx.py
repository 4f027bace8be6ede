"""`python -m core export RUN_DIR --format onnx [--int8]`: a fast CPU export of a fine-tuned run.

`torch.onnx.export` (the TorchScript exporter: optimum does not support transformers 5)
writes RUN_DIR/onnx/model.onnx; `--int8` adds onnxruntime's dynamic int8 quantization.
Each export checks itself on the run's own test rows against the probabilities the eager
model stored at training time, and int8 is refused (fp32 kept, the reason recorded) when
accuracy drops by half a point or more. `load_for_inference` then picks the fastest
verified export; serving and file prediction use it.
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
from core.errors import DataError
from core.runs import ONNX as ONNX_DIR
from core.runs import ONNX_FP32, ONNX_INT8, RunFolder, model_dir
from core.runs import ONNX_VERIFY as VERIFY

INT8_TOLERANCE = 0.005  # accuracy may drop by at most half a point


class OnnxClassifier:
    """predict_proba over an ONNX file with the run's tokenizer; same classes as the eager model."""

    explain_method = "occlusion"

    multi_label_, thresholds_ = False, None  # from the run's tunelab.json (_classifier): sigmoid and thresholds

    def __init__(self, onnx_file: Path, model_dir: Path, classes: list[str], max_length: int, threads: int | None = None):
        import onnxruntime as ort  # put off: loads onnxruntime (~0.1 s)
        from transformers import AutoTokenizer  # put off: loads huggingface_hub, transformers (~1.1 s)

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer_ = AutoTokenizer.from_pretrained(str(model_dir))
        self.classes_, self.max_length, self.file = list(classes), max_length, Path(onnx_file)
        self.max_tokens: int | None = None  # a padded-token budget per batch (core.deploy.serve sets one)

    def predict_proba(self, texts, batch_size: int = 32) -> np.ndarray:
        texts = [str(t) for t in texts]
        ids = tokenize(self.tokenizer_, texts, self.max_length)
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        for idx in sorted_batches([len(x) for x in ids], batch_size, self.max_tokens):
            input_ids, mask = pad([ids[i] for i in idx], self.tokenizer_.pad_token_id or 0)
            logits = self.session.run(None, {"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()})[0]
            if self.multi_label_:
                out[idx] = 1.0 / (1.0 + np.exp(-logits))
                continue
            e = np.exp(logits - logits.max(1, keepdims=True))
            out[idx] = e / e.sum(1, keepdims=True)
        return out

    def decide(self, proba: np.ndarray) -> list[str]:
        return labelsets.decide(proba, self.classes_, self.multi_label_, self.thresholds_)

    def predict(self, texts) -> list:
        decided = self.decide(self.predict_proba(list(texts)))
        return [labelsets.decode(d) for d in decided] if self.multi_label_ else decided


def export_onnx(run_dir: str | Path, int8: bool = False, out: str | Path | None = None,
                tolerance: float = INT8_TOLERANCE) -> dict:
    """Export, verify on the run's test rows, and write verify.json; returns what it wrote."""
    run = RunFolder(run_dir)
    metrics = run.metrics()
    if metrics is None or not registry.get(metrics["model"]).hf_format:
        raise DataError("Only a finished fine-tuned Transformer run can be exported to ONNX; "
                        "the linear contenders are already fast on a CPU.")
    folder = Path(out) if out else run.path / ONNX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / ONNX_FP32
    _export(run, fp32)
    test = run.predictions()
    report = {"rows": len(test), "eager_accuracy": float((test["pred"] == test["label"]).mean()),
              "fp32": _verify(run, fp32, test)}
    if int8:
        report["int8"] = _quantize(run, fp32, folder / ONNX_INT8, test, report["eager_accuracy"], tolerance)
    (folder / VERIFY).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


def _export(run: RunFolder, target: Path) -> None:
    import torch  # put off: loads torch (~1.9 s)

    # put off: loads huggingface_hub, transformers (~1.1 s)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    # eager attention traces into plain ops; SDPA's fused kernel does not export through TorchScript
    net = AutoModelForSequenceClassification.from_pretrained(str(run.model_dir), attn_implementation="eager",
                                                             use_safetensors=True).eval()
    enc = AutoTokenizer.from_pretrained(str(run.model_dir))(["an example", "a second, longer example text"],
                                                             padding=True, return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(net, (enc["input_ids"], enc["attention_mask"]), str(target), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["logits"], dynamic_axes=axes)


def _classifier(run: RunFolder, onnx_file: Path, threads: int | None = None) -> OnnxClassifier:
    meta = read_meta(run.model_dir)
    model = OnnxClassifier(onnx_file, run.model_dir, meta["classes"], meta["params"]["max_length"], threads)
    model.multi_label_, model.thresholds_ = bool(meta.get("multi_label")), meta.get("thresholds")
    return model


def _verify(run: RunFolder, onnx_file: Path, test) -> dict:
    model = _classifier(run, onnx_file)
    t0 = time.time()
    proba = model.predict_proba(test["text"].tolist())
    eager = test[[f"p:{c}" for c in model.classes_]].to_numpy()
    pred = np.array(model.decide(proba))
    return {"file": onnx_file.name, "accuracy": float((pred == test["label"].to_numpy()).mean()),
            "max_prob_diff": float(np.abs(proba - eager).max()), "agreement": float((pred == test["pred"]).mean()),
            "seconds": round(time.time() - t0, 2)}


def _quantize(run: RunFolder, fp32: Path, target: Path, test, eager_accuracy: float, tolerance: float) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic  # put off: loads onnxruntime (~1.4 s)

    # per-channel weight scales and only weight matmuls (not attention's activation x activation ones): on a
    # fine-tuned MiniLM (SST-2) this kept accuracy (0.737 vs eager 0.733; per-tensor over all matmuls lost 0.9 to
    # 3.5 points) at the same speed, 2.2-2.9x eager at batch 32 on 2 cores (benchmarks/serving.py)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"MatMulConstBOnly": True})
    check = _verify(run, target, test)
    drop = eager_accuracy - check["accuracy"]
    if not drop < tolerance:  # a tolerance of 0 refuses int8 unless it is more accurate than the trained model
        target.unlink(missing_ok=True)
        return {**check, "refused": f"int8 lost {drop:.1%} accuracy on the test rows (more than {tolerance:.1%}); "
                                    "the fp32 export is kept and used instead."}
    return check


def fastest_export(run_dir: str | Path) -> tuple[Path | None, str]:
    """(the ONNX file to use, or None for the eager model; a few words saying which), read
    from verify.json without loading anything: int8, else fp32, else the trained model."""
    folder = Path(run_dir) / ONNX_DIR
    if (folder / VERIFY).is_file():
        report = json.loads((folder / VERIFY).read_text(encoding="utf-8"))
        for key in ("int8", "fp32"):
            entry = report.get(key)
            if entry and "refused" not in entry and (folder / entry["file"]).is_file():
                return folder / entry["file"], (f"the ONNX {key} export (verified on the test rows: accuracy "
                                                f"{entry['accuracy']:.3f}, trained model {report['eager_accuracy']:.3f})")
    return None, "the trained model (no ONNX export)"


def load_for_inference(run_dir: str | Path, threads: int | None = None):
    """The fastest verified model of a run (see `fastest_export`), loaded; a model folder loads as itself.
    `threads` caps an ONNX model's intra-op threads (default: one per core)."""

    onnx_file, _ = fastest_export(run_dir)
    if onnx_file is None:
        return registry.load_classifier(model_dir(run_dir))
    return _classifier(RunFolder(run_dir), onnx_file, threads)
