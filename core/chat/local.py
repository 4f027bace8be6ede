"""Chat models the app may load from this machine or the Hub, chosen by name: nothing a visitor types becomes a
file path. The operator puts GGUF files or Hugging Face model folders in one folder (TUNELAB_CHAT_MODELS, default
<data dir>/chat_models); the Chat page lists what is there. A typed Hub id is checked to be one and downloaded
into the Hugging Face cache, so it is never looked up on this machine's disk (transformers would try a relative
folder of that name first). The CLI, run by whoever owns the machine, still takes any path."""
from __future__ import annotations

import os
import re
from pathlib import Path

from core.checkpoints import hub_error, hub_reachable
from core.errors import DataError
from core.store import default_data_dir

CHAT_MODELS_ENV = "TUNELAB_CHAT_MODELS"
DEFAULT_ENV = "TUNELAB_CHAT_MODEL"  # the operator's default chat model, instead of the embedded SmolLM2-135M
# a GGUF file in a Hub repo: owner/name/file.gguf (the file named, since GGUF repos hold many quantisations)
HUB_GGUF = re.compile(r"([A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})/([\w.-]{1,200}\.gguf)")
# owner/name as the Hub spells them (huggingface_hub's validate_repo_id: letters, digits, '-', '_', '.', at most 96)
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")
# what a chat model needs from a Hub repo: config, tokenizer, chat template, safetensors weights (never pickles,
# and not the GGUF or ONNX copies some repos also hold, which can be several GB)
HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]


def models_folder() -> Path:
    return Path(os.environ.get(CHAT_MODELS_ENV) or default_data_dir() / "chat_models").expanduser()


def local_models(folder: Path | None = None) -> dict[str, Path]:
    """Name -> path for each .gguf file and each model folder (one holding a config.json) directly in the chat
    models folder, sorted by name; empty when the folder does not exist."""
    folder = models_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        return {}
    found = {p.name: p for p in folder.iterdir()
             if (p.is_file() and p.suffix.lower() == ".gguf") or (p.is_dir() and (p / "config.json").is_file())}
    return dict(sorted(found.items()))


def hub_model(repo_id: str) -> Path:
    """Download a chat model's files from the Hub (or find them in the cache) and return their local folder."""
    repo_id = repo_id.strip()
    if not HUB_ID.fullmatch(repo_id) or ".." in repo_id:
        raise DataError("'{spec}' is not a Hugging Face Hub model id; an id looks like owner/name, for example "
                        "HuggingFaceTB/SmolLM2-360M-Instruct.", spec=repo_id[:100])
    # put off: huggingface_hub (~0.1 s with its errors), only for Hub models
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:  # unreachable Hub: the cache only, at once (not huggingface_hub's retries with backoff, ~50 s)
        return Path(snapshot_download(repo_id, allow_patterns=HUB_FILES, local_files_only=not hub_reachable()))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:  # offline, no such repo, gated
        raise hub_error(repo_id) from exc


def configured_default() -> str | None:
    return os.environ.get(DEFAULT_ENV, "").strip() or None


def resolve_default(spec: str) -> Path:
    """TUNELAB_CHAT_MODEL's model: a name in the chat models folder, or a GGUF on the Hub (owner/name/file.gguf,
    downloaded once into the Hugging Face cache; offline, the cache only)."""
    models = local_models()
    if spec in models:
        return models[spec]
    match = HUB_GGUF.fullmatch(spec)
    if not match or ".." in spec:
        raise DataError("TUNELAB_CHAT_MODEL is '{spec}', which is neither a model in {folder} nor a GGUF on the "
                        "Hugging Face Hub (owner/name/file.gguf).", spec=spec[:200], folder=str(models_folder()))
    # put off: huggingface_hub (~0.1 s with its errors), only for Hub models
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(match.group(1), match.group(2), local_files_only=not hub_reachable()))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
        raise hub_error(match.group(1)) from exc
