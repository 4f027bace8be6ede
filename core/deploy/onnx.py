"""`python -m core export RUN_DIR --format onnx [--int8]`: a fast CPU export of a fine-tuned run.

`torch.onnx.export` (the TorchScript exporter: optimum does not support transformers 5)
writes RUN_DIR/onnx/model.onnx; `--int8` adds onnxruntime's dynamic int8 quantization.
Each export checks itself on the run's own test rows against the probabilities the eager
model stored at training time, and int8 is refused (fp32 kept, the reason recorded) when
accuracy drops by half a point or more. core.deploy.exported then picks the fastest
verified export (this one or OpenVINO's); serving and prediction use it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.deploy.exported import INT8_TOLERANCE, ExportedClassifier, exportable, fp32_report, int8_verdict, verify, write_report
from core.errors import DataError
from core.runs import ONNX as ONNX_DIR
from core.runs import ONNX_FP32, ONNX_INT8, RunFolder


class OnnxClassifier(ExportedClassifier):
    """An ONNX file on onnxruntime's CPU provider."""

    def _open(self, file: Path, threads: int | None) -> None:
        import onnxruntime as ort  # put off: loads onnxruntime (~0.1 s)

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])

    def _logits(self, feeds: list[dict]) -> list[np.ndarray]:
        return [self.session.run(None, feed)[0] for feed in feeds]


def require_finetune(run: RunFolder) -> None:
    if not exportable(run):
        raise DataError("Only a finished fine-tuned Transformer run can be exported to ONNX or OpenVINO; "
                        "the linear contenders are already fast on a CPU.")


def export_onnx(run_dir: str | Path, int8: bool = False, out: str | Path | None = None,
                tolerance: float = INT8_TOLERANCE) -> dict:
    """Export, verify on the run's test rows, and write verify.json; returns what it wrote."""
    run = RunFolder(run_dir)
    require_finetune(run)
    folder = Path(out) if out else run.path / ONNX_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / ONNX_FP32
    _export(run, fp32)
    test = run.predictions()
    report = fp32_report(OnnxClassifier.from_run(run, fp32), fp32, test)
    if int8:
        report["int8"] = _quantize(run, fp32, folder / ONNX_INT8, test, report["eager_accuracy"], tolerance)
    write_report(folder, report)
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


def _quantize(run: RunFolder, fp32: Path, target: Path, test, eager_accuracy: float, tolerance: float) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic  # put off: loads onnxruntime (~1.4 s)

    # per-channel weight scales and only weight matmuls (not attention's activation x activation ones): on a
    # fine-tuned MiniLM (SST-2) this kept accuracy (0.737 vs eager 0.733; per-tensor over all matmuls lost 0.9 to
    # 3.5 points) at the same speed, 2.2-2.9x eager at batch 32 on 2 cores (benchmarks/serving.py)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"MatMulConstBOnly": True})
    check = verify(OnnxClassifier.from_run(run, target), target, test)
    return int8_verdict(check, eager_accuracy, tolerance, [target])
