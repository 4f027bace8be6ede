"""`python -m core export RUN_DIR --format openvino [--int8]`: the fastest CPU export of a fine-tuned run.

OpenVINO converts the trained model itself (its PyTorch frontend turns attention into one fused
ScaledDotProductAttention op) into RUN_DIR/openvino/model.xml + .bin; `--int8` adds NNCF's post-training
quantization, calibrated on a few hundred of the run's own training texts, which runs the weight matmuls
and attention in int8 (AMX or VNNI where the CPU has them). Each file is verified on the run's test rows
like the ONNX export, and int8 is refused (fp32 kept) when accuracy drops by half a point or more.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import numpy as np

from core.deploy.exported import INT8_TOLERANCE, ExportedClassifier, fp32_report, int8_verdict, verify, write_report
from core.deploy.onnx import require_finetune
from core.errors import DataError
from core.runs import ONNX_VERIFY, OPENVINO, OV_FP32, OV_INT8, RunFolder

CALIBRATION_TEXTS = 300  # NNCF's default subset; 300 SST-2 texts quantised in ~10 s on 2 cores
# Two compilations of one model. Several batches: THROUGHPUT, one stream per core, a batch each (2 x 1 thread beat
# 1 x 2 threads at batch 32 on 2 cores: 3.0-3.2x eager against 2.6x). One batch (a single text, a small request):
# LATENCY, one stream on every core (a 16-token text: p50/p99 4.7/6.3 ms against THROUGHPUT's 5.2/12.8).
# f32 for what stays unquantised: on AMX CPUs OpenVINO's default is bf16, which moved a probability by up to 0.18
# (f32: 0.024, as onnxruntime int8's 0.036) for the same speed.
CONFIG = {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32"}
SINGLE = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
# OpenVINO compiles for each new input shape (a single text of a new length: p99 35-40 ms); lengths rounded up to
# 8 tokens keep the shapes few (p99 9-14 ms) and cost nothing measurable at batch 32
PAD_MULTIPLE = 8


def no_telemetry() -> None:
    """OpenVINO's converter and NNCF send usage events to Google Analytics unless a consent file says no (they
    ask no one when stdin is not a terminal); Tunelab sends nothing anywhere, so this process declines for both."""
    from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker

    OptInChecker.check = lambda self, *args, **kwargs: ConsentCheckResult.DECLINED


no_telemetry()  # on import, before any use of openvino's converter or NNCF in this process


class OpenVinoClassifier(ExportedClassifier):
    """An OpenVINO IR file on its CPU plugin; batches run in parallel on its streams."""

    pad_multiple = PAD_MULTIPLE

    def _open(self, file: Path, threads: int | None) -> None:
        import openvino as ov  # put off: loads openvino (~0.3 s)

        cap = {"INFERENCE_NUM_THREADS": threads} if threads else {}
        core = ov.Core()
        model = core.read_model(str(file))
        self.compiled = core.compile_model(model, "CPU", {**CONFIG, **cap})
        self.queue = ov.AsyncInferQueue(self.compiled, self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.request = core.compile_model(model, "CPU", {**SINGLE, **cap}).create_infer_request()
        for length in range(PAD_MULTIPLE, self.max_length + PAD_MULTIPLE, PAD_MULTIPLE):  # a single text of each
            zeros = np.zeros((1, length), dtype=np.int64)  # length bucket compiled now, not on a user's request
            self.request.infer({"input_ids": zeros, "attention_mask": zeros + 1})

    def _logits(self, feeds: list[dict]) -> list[np.ndarray]:
        if len(feeds) == 1:
            return [self.request.infer(feeds[0])[0].copy()]
        out: list = [None] * len(feeds)

        def done(request, i):
            out[i] = request.get_output_tensor(0).data.copy()

        self.queue.set_callback(done)
        for i, feed in enumerate(feeds):
            self.queue.start_async(feed, i)
        self.queue.wait_all()
        return out


def export_openvino(run_dir: str | Path, int8: bool = False, out: str | Path | None = None,
                    tolerance: float = INT8_TOLERANCE, on_progress=None) -> dict:
    """Convert, verify on the run's test rows, and write verify.json; returns what it wrote. `on_progress` gets a
    step event as each of the 2 (4 with int8) steps starts: 1 convert, 2 check, 3 quantise, 4 check."""
    run = RunFolder(run_dir)
    require_finetune(run)
    import openvino as ov  # put off: loads openvino (~0.3 s)

    total = 4 if int8 else 2
    step = (lambda n, what: on_progress({"event": "step", "step": n, "total_steps": total, "doing": what})) \
        if on_progress else (lambda n, what: None)
    folder = Path(out) if out else run.path / OPENVINO
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ONNX_VERIFY).unlink(missing_ok=True)  # until the new files are checked, none of them answers
    fp32 = folder / OV_FP32
    step(1, "convert")
    ov.save_model(_convert(run), str(fp32), compress_to_fp16=False)  # fp16 weights would cost fp32 its parity
    step(2, "check")
    test, model = run.predictions(), OpenVinoClassifier.from_run(run, fp32)
    report = fp32_report(model, fp32, test)
    if int8:
        step(3, "quantise")
        report["int8"] = _quantize(run, model, folder / OV_INT8, test, report["eager_accuracy"], tolerance,
                                   lambda: step(4, "check"))
    write_report(folder, report)
    return report


def _convert(run: RunFolder):
    import openvino as ov  # put off: loads openvino (~0.3 s)
    import torch  # put off: loads torch (~1.9 s)

    # put off: loads huggingface_hub, transformers (~1.1 s)
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    net = AutoModelForSequenceClassification.from_pretrained(str(run.model_dir), use_safetensors=True).eval()
    enc = AutoTokenizer.from_pretrained(str(run.model_dir))(["an example", "a second, longer example text"],
                                                             padding=True, return_tensors="pt")
    with torch.no_grad():
        model = ov.convert_model(net, example_input={"input_ids": enc["input_ids"],
                                                     "attention_mask": enc["attention_mask"]})
    for port, name in zip(model.inputs, ("input_ids", "attention_mask"), strict=True):
        port.get_tensor().set_names({name})
    model.outputs[0].get_tensor().set_names({"logits"})
    return model


def calibration_texts(run: RunFolder, test) -> tuple[list[str], str]:
    """Up to CALIBRATION_TEXTS of the run's training texts (not its test rows), and where they came from; the test
    rows themselves only when the training data is gone (int8 then is checked on the texts it was tuned on)."""
    from core.data.cleaning import load_dataset  # put off: loads pandas (~0.4 s)

    config = run.config()
    try:
        df = load_dataset(run.data_path(), text_col=config.text_col, label_col=config.label_col).df
        texts = df.loc[~df["text"].isin(set(test["text"])), "text"]
    except (DataError, OSError, ValueError):
        texts = test["text"].iloc[:0]
    if len(texts):
        return texts.sample(n=min(CALIBRATION_TEXTS, len(texts)), random_state=0).tolist(), "training texts"
    return test["text"].tolist()[:CALIBRATION_TEXTS], "test rows (the run's training data was not found)"


def _quantize(run: RunFolder, fp32: OpenVinoClassifier, target: Path, test, eager_accuracy: float, tolerance: float,
              checking=lambda: None) -> dict:
    import nncf  # put off: loads nncf (~2 s)
    import openvino as ov  # put off: loads openvino (~0.3 s)

    nncf.set_log_level(logging.ERROR)  # its progress bars and notes are not the export's output
    texts, source = calibration_texts(run, test)
    feeds = fp32.feeds(texts)[1]  # batches of 32 as inference makes them, lengths padded to PAD_MULTIPLE
    # TRANSFORMER keeps layer norms, softmax and the residual adds in float and applies SmoothQuant; without it
    # accuracy fell from 0.741 to 0.633 on SST-2 for 10% more speed
    with contextlib.redirect_stdout(sys.stderr):  # its progress bars: stdout is the export's JSON report
        quantized = nncf.quantize(ov.Core().read_model(str(fp32.file)), nncf.Dataset(feeds), subset_size=len(feeds),
                                  model_type=nncf.ModelType.TRANSFORMER)
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    checking()
    check = verify(OpenVinoClassifier.from_run(run, target), target, test)
    check.update(calibration={"texts": len(texts), "from": source})
    return int8_verdict(check, eager_accuracy, tolerance, [target, target.with_suffix(".bin")])
