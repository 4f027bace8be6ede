"""Where a generative LLM's weights come from and how they are loaded: the embedded SmolLM2, a GGUF file or model
folder in the operator's chat-models folder, or a Hub id when online. A GGUF is dequantised once into a transformers
folder under the data directory (`dequantised`); a saved run references its model by name and sha256, never a copy.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import shutil
from pathlib import Path

from core.chat.local import local_models
from core.checkpoints import embedded_chat_gguf, offline_error, pick_device, quiet_transformers, require_hub
from core.errors import DataError

DEQUANTISED = "dequantised.json"  # written last in a GGUF's dequantised folder: the folder is complete


def require_model(spec: str, reference: dict) -> None:
    """One sentence when the file or folder a saved run was made with is gone (a Hub id or server is tried as is)."""
    if reference.get("source") in ("file", "folder"):
        path = local_models().get(spec) or Path(spec).expanduser()
        if not path.exists():
            raise DataError("The model this run was made with ({name}) is no longer on this server; put it back in "
                            "the chat-models folder, or train the run again with another model.",
                            name=reference.get("name", spec))


def resolve_llm(spec: str) -> tuple[str, str | None, dict]:
    """(folder or Hub id, GGUF file name or None, reference) for a model spec (see the module docstring)."""
    spec = (spec or "default").strip()
    if spec == "default":
        gguf = embedded_chat_gguf()
        return str(gguf.parent), gguf.name, {"source": "embedded", "name": gguf.name, "sha256": _sha256(gguf)}
    path = local_models().get(spec) or Path(spec).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return str(path.parent), path.name, {"source": "file", "name": path.name, "sha256": _sha256(path)}
    if path.is_dir() and (path / "config.json").is_file():
        return str(path), None, {"source": "folder", "name": path.name}
    require_hub(spec)  # one sentence offline, or for something that is neither a file nor a Hub id
    return spec, None, {"source": "hub", "name": spec}


@functools.lru_cache(maxsize=2)
def load_llm(spec: str):
    """(tokenizer, model, reference), loaded once per process (several runs of one model share it; nothing may
    change the model in place: a LoRA run loads its own copy with `load_llm_fresh`)."""
    return load_llm_fresh(spec)


def load_llm_fresh(spec: str):
    """(tokenizer, model, reference), a new copy."""
    import torch  # put off: loads torch (~1.8 s)
    from transformers import AutoModelForCausalLM, AutoTokenizer  # put off: loads transformers (~1.3 s)

    source, gguf, reference = resolve_llm(spec)
    quiet_transformers()
    if gguf:
        source, gguf = dequantised(Path(source) / gguf, reference["sha256"]), None
    device = pick_device()
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    extra = {"gguf_file": gguf} if gguf else {"use_safetensors": True}  # never unpickle weights
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **({"gguf_file": gguf} if gguf else {}))
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra).to(device).eval()
    except (OSError, ValueError) as exc:
        raise offline_error(spec, exc) from exc
    return tokenizer, model, reference


def dequantised(gguf: Path, sha256: str) -> str:
    """A GGUF's weights as a transformers folder (safetensors), made once under the data directory's models/:
    SmolLM2-135M reads in 24 s from its GGUF on 2 cores (every tensor dequantised) and in 0.3 s from the folder.
    Written atomically; where the data directory cannot be written, the GGUF is read directly (the slow way)."""
    from core.store import models_dir  # put off: the store is not needed to score with a model

    target = models_dir() / f"llm-{sha256[:16]}"
    if (target / DEQUANTISED).is_file():
        return str(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (target.parent / f".{target.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two jobs starting at once convert once
            if not (target / DEQUANTISED).is_file():
                _dequantise(gguf, sha256, target)
    except OSError:
        return str(gguf)
    return str(target)


def _dequantise(gguf: Path, sha256: str, target: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer  # put off: loads transformers (~1.3 s)

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # the weights are plain fp32 once read: saved as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(f".partial-{target.name}")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    (partial / DEQUANTISED).write_text(json.dumps({"gguf": gguf.name, "sha256": sha256}), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


@functools.lru_cache(maxsize=8)
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

