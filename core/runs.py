"""The run folder: the only code that knows its file names.

    RUN_DIR/ config.json  data_path.txt  progress.jsonl  metrics.json  predictions.parquet  name.txt
             model/ (the contender's own safe format, + README.md model card)  worker.log  name_parts.json
             onnx/ (model.onnx, model.int8.onnx, verify.json)   openvino/ (model[.int8].xml + .bin, verify.json)
             a file or label-check job: request.json, input.<ext>, labelled.csv or label_issues.json

Training writes through a `RunFolder`; the job queue, the comparison, prediction,
the report and the pages read through one. Folders written before this module
existed have the same names, so they still load. A run's readable name
("Fine-tuned MiniLM · demo_tickets · 5 epochs · 25 Nov 07:58") is made here too.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from core.chat.endpoints import PREFIX, is_endpoint
from core.checkpoints import DEFAULT_CLASSIFIER, EMBEDDED_CLASSIFIER_NAME, MULTILINGUAL_NAMES
from core.config import TrainConfig
from core.contenders import registry
from core.errors import DataError
from core.i18n import N_, translator
from core.i18n import when as local_time
from core.progress import ProgressLog, final_event, read_progress

CONFIG, DATA_PATH, PROGRESS, METRICS = "config.json", "data_path.txt", "progress.jsonl", "metrics.json"
PREDICTIONS, MODEL, WORKER_LOG, NAME = "predictions.parquet", "model", "worker.log", "name.txt"
NAME_PARTS = "name_parts.json"  # what a generated name is made of, so it is made again in the reader's language
REQUEST, LABELLED, INPUT = "request.json", "labelled.csv", "input"  # a file-classification job's folder
LABEL_REPORT = "label_issues.json"  # a label-check job's result
NEEDS_KEY = "needs_visitor_key"  # empty: a key was typed for this job; only the process holding it may start it
ONNX = "onnx"  # core.deploy.onnx's folder (or its --out folder) holds these three:
ONNX_FP32, ONNX_INT8, ONNX_VERIFY = "model.onnx", "model.int8.onnx", "verify.json"
OPENVINO = "openvino"  # core.deploy.openvino's folder: model.xml/.bin, model.int8.xml/.bin and its own verify.json
OV_FP32, OV_INT8 = "model.xml", "model.int8.xml"  # each beside its weights (.bin of the same name)
MAX_NAME = 120  # characters; a rename is cut there, so a pasted essay cannot swamp every page


class RunFolder:
    """One run's folder. Reading methods return None (not raise) for what is not written yet."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @property
    def id(self) -> str:
        return self.path.name

    def create(self, config: TrainConfig, data_path: str | Path | None = None) -> "RunFolder":
        """Make the folder and write what a worker needs to start: the config and the data's path."""
        self.path.mkdir(parents=True, exist_ok=True)
        config.save(self.path / CONFIG)
        if data_path is not None:
            (self.path / DATA_PATH).write_text(str(Path(data_path).resolve()), encoding="utf-8")
        return self

    # what was asked for
    def config(self) -> TrainConfig | None:
        path = self.path / CONFIG
        return TrainConfig.load(path) if path.is_file() else None

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    def has_data_path(self) -> bool:
        return (self.path / DATA_PATH).is_file()

    def data_path(self) -> str:
        return (self.path / DATA_PATH).read_text(encoding="utf-8").strip()  # a hand-written one ends in a newline

    def data_version(self) -> dict | None:
        """{"dataset_id", "version"} when this run trains on a dataset version, else None: from its config (runs
        before Dec 2026 recorded it only in metrics.json, from the data file's name)."""
        config = self.config()
        return (config.data_version() if config else None) or (self.metrics() or {}).get("data_version")

    # a file-classification job: the upload, what to do with it, the labelled result
    def create_batch(self, data: bytes | Path, extension: str, request: dict) -> "RunFolder":
        """A folder for a job on one file: the bytes are copied in (`extension` from a fixed list, never a
        user's name), or an existing file of the data directory is pointed at."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = data if isinstance(data, Path) else self.path / f"{INPUT}{extension}"
        if not isinstance(data, Path):
            target.write_bytes(data)
        (self.path / REQUEST).write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        (self.path / DATA_PATH).write_text(str(target.resolve()), encoding="utf-8")
        return self

    @property
    def needs_key(self) -> Path:
        """A marker (never the key): the job's LLM server takes a key a visitor typed, held in one process's memory."""
        return self.path / NEEDS_KEY

    def request(self) -> dict:
        return json.loads(self.request_path.read_text(encoding="utf-8"))

    @property
    def request_path(self) -> Path:
        return self.path / REQUEST

    @property
    def labelled_path(self) -> Path:
        return self.path / LABELLED

    @property
    def label_report_path(self) -> Path:
        return self.path / LABEL_REPORT

    def label_report(self) -> dict | None:
        path = self.label_report_path
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    @property
    def progress_path(self) -> Path:
        return self.path / PROGRESS

    # what happened
    def progress_log(self, echo=None) -> ProgressLog:
        return ProgressLog(self.path / PROGRESS, echo=echo)

    def progress(self) -> list[dict]:
        return read_progress(self.path / PROGRESS)

    def end_event(self) -> dict | None:
        return final_event(self.progress())

    @property
    def worker_log(self) -> Path:
        return self.path / WORKER_LOG

    # results
    def metrics(self) -> dict | None:
        path = self.path / METRICS
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def write_metrics(self, metrics: dict) -> None:
        (self.path / METRICS).write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")

    def predictions(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The held-out test rows with text, label, pred, confidence and p:<class> columns."""
        path = self.path / PREDICTIONS
        return pd.read_parquet(path, columns=columns) if path.is_file() else None

    def write_predictions(self, df: pd.DataFrame) -> None:
        df.to_parquet(self.path / PREDICTIONS, index=False)

    @property
    def model_dir(self) -> Path:
        return self.path / MODEL

    def export_files(self) -> list[tuple[Path, str]]:
        """(file, name in an archive) for everything a downloaded model needs: the model
        folder (model card included), the ONNX and OpenVINO exports when there are some, the config and the metrics."""
        files = [(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
                 for folder in (self.model_dir, self.path / ONNX, self.path / OPENVINO)
                 for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in _superseded(folder)]
        return files + [(self.path / n, n) for n in (CONFIG, METRICS) if (self.path / n).is_file()]

    def load_model(self):
        """The trained contender, whatever its kind."""
        return registry.load_classifier(self.model_dir)

    # names
    @property
    def kind(self) -> str:
        metrics, config = self.metrics(), self.config()
        return (metrics or {}).get("model") or (config.model if config else "unknown")

    @property
    def name(self) -> str:
        """The user's rename, else the name given at training time, else the folder's id."""
        renamed = self.path / NAME
        if renamed.is_file():
            return renamed.read_text(encoding="utf-8").strip() or self.id
        metrics, config = self.metrics(), self.config()
        return (metrics or {}).get("name") or (config.name if config else "") or self.id

    def save_name_parts(self, dataset: str, when: float) -> None:
        (self.path / NAME_PARTS).write_text(json.dumps({"dataset": dataset, "when": when}, ensure_ascii=False),
                                            encoding="utf-8")

    def display_name(self, lang: str = "en") -> str:
        """The name to show: the user's rename, else a generated name made again in `lang` (a run started in
        English reads in Chinese in the Chinese interface), else the name given at training time."""
        parts, config = self.path / NAME_PARTS, self.config()
        if (self.path / NAME).is_file() or not parts.is_file() or config is None:
            return self.name
        made = json.loads(parts.read_text(encoding="utf-8"))
        return readable_name(config, made["dataset"], made["when"], lang=lang)

    def short_name(self, lang: str = "en") -> str:
        """What a chart or a sentence calls the run: for a generated name, the contender and its dataset version,
        "Fine-tuned MiniLM (v2)"; a name the user gave (a rename, the CLI's --name) as given."""
        config = self.config()
        if not (self.path / NAME_PARTS).is_file() or (self.path / NAME).is_file() or config is None \
                or config.model not in registry.kinds():  # a name the user gave stays as given
            return self.name
        spec = registry.get(config.model)
        title = spec.run_title(subject(config, lang), lang)
        tag = (self.metrics() or {}).get("data_version")
        return f"{title} (v{tag['version']})" if tag and tag["version"] > 1 else title

    def rename(self, name: str) -> str:
        """Give the run a new readable name (the id, and every path, stay as they are)."""
        name = " ".join(str(name).split())[:MAX_NAME]
        if not name:
            raise DataError("A run's name cannot be empty; type a few words.")
        (self.path / NAME).write_text(name, encoding="utf-8")
        return name


def verified_export(folder: Path, precision: str) -> tuple[Path, dict] | None:
    """An export folder's file of `precision` ("fp32", "int8") and its verify.json report, when that file passed
    its check on the test rows and is there; None otherwise (no report, refused, or the file missing)."""
    if not (folder / ONNX_VERIFY).is_file():
        return None
    report = json.loads((folder / ONNX_VERIFY).read_text(encoding="utf-8"))
    entry = report.get(precision)
    if not entry or "refused" in entry or not (folder / entry["file"]).is_file():
        return None
    return folder / entry["file"], report


def _superseded(folder: Path) -> set[str]:
    """An export folder's fp32 files when its int8 passed its check and is there: the int8 answers (core.deploy.
    runtimes), so its fp32 twin, 4x its size (90 MB for MiniLM), stays out of a download."""
    try:
        if verified_export(folder, "int8") is None:
            return set()
    except (OSError, ValueError):  # an unreadable verify.json: the download keeps everything
        return set()
    return {ONNX_FP32} if folder.name == ONNX else {OV_FP32, Path(OV_FP32).with_suffix(".bin").name}


def model_dir(path: str | Path) -> Path:
    """A run folder's model/, or the folder itself when it is a model folder (CLI users pass either)."""
    path = Path(path)
    if (path / MODEL).is_dir():
        return path / MODEL
    if path.is_dir():
        return path
    raise DataError("There is no run folder at '{path}'; train a model first.", path=path)


def subject(config: TrainConfig, lang: str = "en") -> str:
    """What fills a contender's name pattern: its checkpoint's short name, or its LLM's."""
    spec = registry.get(config.model)
    if spec.uses_llm:
        return llm_name(config.llm)
    return checkpoint_name(config.checkpoint, lang) if spec.uses_checkpoint else ""


def llm_name(llm: str) -> str:
    """A short name for an LLM: 'SmolLM2-135M' for the embedded one, else the file's, folder's or Hub id's last part."""
    if llm in (None, "", "default"):
        return "SmolLM2-135M"
    if str(llm).startswith(PREFIX):  # the operator's label for a server
        return str(llm)[len(PREFIX):]
    if is_endpoint(str(llm)):  # a typed server: its model, else its host
        url, _, model = str(llm).partition("|")
        return model.strip() or urlsplit(url).hostname or url
    name = Path(str(llm).rstrip("/")).name or str(llm)
    return name[:-5] if name.lower().endswith(".gguf") else name


def checkpoint_name(checkpoint: str, lang: str = "en") -> str:
    """A short name for a checkpoint: 'MiniLM' for the embedded default, else its last path part."""
    if checkpoint in (None, "", DEFAULT_CLASSIFIER, EMBEDDED_CLASSIFIER_NAME, "all-MiniLM-L6-v2"):
        return "MiniLM"
    if checkpoint in MULTILINGUAL_NAMES:
        _ = translator(lang)
        return _("multilingual E5")
    return Path(str(checkpoint).rstrip("/")).name or str(checkpoint)


SETTING_WORDS = {"shots": N_("{v} examples per label"),
                 "epochs": N_("{v} epochs"), "batch_size": N_("batch {v}"), "max_length": N_("{v} tokens"),
                 "lr": N_("lr {v:g}"), "max_rows": N_("at most {v:,} rows"), "grad_accum": N_("{v} accumulation steps"),
                 "max_steps": N_("{v} steps max"), "seed": N_("seed {v}"), "C": N_("C {v:g}"),
                 "patience": N_("patience {v}"), "eval_every": N_("validate every {v} steps"),
                 "val_fraction": N_("{v:.0%} validation"), "test_fraction": N_("{v:.0%} test")}


def _setting(name: str, value, lang: str = "en") -> str:
    return translator(lang)(SETTING_WORDS[name], v=value) if name in SETTING_WORDS else f"{name} {value}"


def readable_name(config: TrainConfig, dataset: str, when: float | None = None, max_settings: int = 3,
                  lang: str = "en") -> str:
    """What the run is: contender (with checkpoint), dataset, settings that differ from the defaults, time;
    in `lang` (a name is made once, in the language of whoever started the run, and can be renamed)."""
    spec = registry.get(config.model)
    parts = [spec.run_title(subject(config, lang), lang)]
    dataset = re.sub(r"\.(csv|tsv|txt|jsonl?|parquet|xlsx)$", "", dataset or "", flags=re.IGNORECASE)
    if dataset:
        parts.append(dataset)
    changed = config.changed()
    parts += [_setting(k, changed[k], lang) for k in spec.settings if k in changed][:max_settings]
    parts.append(local_time(when or time.time(), lang))
    return " · ".join(parts)
