"""`load_engine`: one spec in, the right backend out."""
from __future__ import annotations

from pathlib import Path

from core.chat.base import ChatEngine
from core.chat.hf import TransformersEngine
from core.errors import DataError


def not_a_gguf(spec: str) -> DataError:
    return DataError("'{spec}' is not a GGUF model file llama.cpp can read; check the path, or use the embedded "
                     "default.", spec=spec)


def load_engine(model: str = "default", endpoint: str | None = None, endpoint_model: str | None = None,
                context_window: int | None = None, api_key: str | None = None) -> ChatEngine:
    """'default' (embedded SmolLM2 GGUF), a .gguf file, a model folder or Hub id
    (transformers), or an OpenAI-compatible endpoint URL. For an endpoint, `api_key` is the
    caller's own key; the operator's key goes only to endpoints the operator configured."""
    if endpoint:
        from core.chat.endpoints import key_for
        from core.chat.openai_http import OpenAIEngine

        return OpenAIEngine(endpoint, endpoint_model or model, context_window=context_window or 8192,
                            api_key=key_for(endpoint, api_key))
    if model in (None, "", "default"):
        from core.chat.local import configured_default, resolve_default

        if configured_default():  # the operator's choice of a stronger default
            return load_engine(str(resolve_default(configured_default())), context_window=context_window)
        from core.chat.llamacpp import LlamaCppEngine
        from core.checkpoints import embedded_chat_gguf

        return LlamaCppEngine(embedded_chat_gguf(), context_window=context_window or 4096)
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf":
        from core.chat.llamacpp import LlamaCppEngine

        if not path.is_file():  # the same sentence as an unreadable file: nothing said of the server's disk
            raise not_a_gguf(model)
        try:
            return LlamaCppEngine(path, context_window=context_window or 4096)
        except (ValueError, RuntimeError, OSError) as exc:  # llama.cpp: "Failed to load model from file"
            raise not_a_gguf(model) from exc

    return TransformersEngine(model, context_window=context_window)
