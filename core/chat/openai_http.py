"""OpenAI-compatible HTTP backend: vLLM, TGI, a llama.cpp server or a hosted API, streamed over SSE."""
from __future__ import annotations

import json
import os

from core.chat.base import ChatEngine, ChatParams, Messages
from core.errors import DataError


class OpenAIEngine(ChatEngine):
    """Any OpenAI-compatible /v1/chat/completions server, streamed over SSE.
    The key, if any, comes from the environment (TUNELAB_API_KEY or OPENAI_API_KEY)."""

    backend = "openai-http"

    def __init__(self, base_url: str, model: str | None, context_window: int = 8192):
        super().__init__()
        base = base_url.rstrip("/")
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model or "default"
        self.context_window = context_window
        self.key = os.environ.get("TUNELAB_API_KEY") or os.environ.get("OPENAI_API_KEY")

    def _pieces(self, messages: Messages, params: ChatParams):
        import requests

        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": params.temperature,
                "top_p": params.top_p, "max_tokens": params.max_tokens, "seed": params.seed}
        try:
            resp = requests.post(self.url, json=body, headers=headers, stream=True, timeout=(5, 120))
        except requests.RequestException as exc:
            raise DataError(f"The chat server at {self.url} could not be reached; check the URL and that it is running.") from exc
        if resp.status_code != 200:
            raise DataError(f"The chat server answered with an error ({resp.status_code}); check the model name and key.")
        with resp:
            for line in resp.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices") or [{}]
                yield (choices[0].get("delta") or {}).get("content") or ""
