"""Which runtime answers for a run: the fastest verified export, read from the verify.json files.

A run can have an ONNX export (core.deploy.onnx, RUN/onnx/) and an OpenVINO one (core.deploy.openvino,
RUN/openvino/); each folder's verify.json says how its files did on the run's test rows. `fastest_export`
picks, without loading anything, the fastest verified file in the order below, and `load_for_inference`
loads it; serving, file prediction and the Predict page all go through it.
"""
from __future__ import annotations

from pathlib import Path

from core.contenders import registry
from core.deploy.exported import exportable
from core.runs import ONNX, OPENVINO, RunFolder, model_dir, verified_export

# Fastest first, from benchmarks/serving.py (fine-tuned MiniLM, SST-2, batch 32, 2 cores, median round vs eager, three
# runs): OpenVINO int8 2.6-3.2x (1.44-1.49x onnxruntime int8 in the same rounds), onnxruntime int8 2.2-2.4x, then the
# fp32 exports at 0.9-1.1x (OpenVINO's at f32 precision, for parity). A single text is the one case onnxruntime int8
# answers faster (p50 2.7-3.8 ms against 3.9-6.6 ms); the order follows throughput, what a server and files need.
ORDER = [(OPENVINO, "int8"), (ONNX, "int8"), (ONNX, "fp32"), (OPENVINO, "fp32")]
RUNTIME_NAMES = {(ONNX, "int8"): "ONNX int8", (ONNX, "fp32"): "ONNX fp32", (OPENVINO, "int8"): "OpenVINO int8",
                 (OPENVINO, "fp32"): "OpenVINO fp32"}
EAGER = "PyTorch"  # what answers when a run has no verified export


def verified(run_dir: str | Path) -> list[tuple[str, str, Path, dict]]:
    """Every verified, present export of a run, fastest first: (runtime folder, precision, file, report)."""
    out = []
    for folder_name, precision in ORDER:
        found = verified_export(Path(run_dir) / folder_name, precision)
        if found:
            out.append((folder_name, precision, *found))
    return out


def fastest_export(run_dir: str | Path) -> tuple[Path | None, str]:
    """(the exported file to use, or None for the eager model; a few words saying which), read from the
    verify.json files without loading anything."""
    for folder_name, precision, file, report in verified(run_dir):
        entry = report[precision]
        return file, (f"the {RUNTIME_NAMES[folder_name, precision]} export (verified on the test rows: accuracy "
                      f"{entry['accuracy']:.3f}, trained model {report['eager_accuracy']:.3f})")
    return None, "the trained model (no ONNX or OpenVINO export)"


def runtime_name(run_dir: str | Path) -> str:
    """The runtime that answers for a run: 'OpenVINO int8', 'ONNX fp32', ..., 'PyTorch' for a fine-tune without an
    export, '' for the other contenders (their own small numpy or scikit-learn code: nothing to choose)."""
    found = verified(run_dir)
    if found:
        return RUNTIME_NAMES[found[0][:2]]
    return EAGER if exportable(RunFolder(run_dir)) else ""


def load_for_inference(run_dir: str | Path, threads: int | None = None):
    """The fastest verified model of a run (see `fastest_export`), loaded; a model folder loads as itself.
    `threads` caps an exported model's threads (default: every core)."""
    found = verified(run_dir)
    if not found:
        return registry.load_classifier(model_dir(run_dir))
    folder_name, _, file, _ = found[0]
    if folder_name == OPENVINO:
        from core.deploy.openvino import OpenVinoClassifier as runtime  # put off: loads openvino, transformers (~1.5 s)
    else:
        from core.deploy.onnx import OnnxClassifier as runtime  # put off: loads onnxruntime, transformers (~1.3 s)
    return runtime.from_run(RunFolder(run_dir), file, threads)
