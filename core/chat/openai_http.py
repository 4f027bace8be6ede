"""OpenAI-compatible HTTP backend: vLLM, TGI, a llama.cpp server or a hosted API, streamed over SSE."""
from __future__ import annotations

import json

from core.chat.base import ChatEngine, ChatParams, Messages
from core.errors import DataError


class OpenAIEngine(ChatEngine):
    """Any OpenAI-compatible /v1/chat/completions server, streamed over SSE.
    The key is given by the caller (see core.chat.endpoints for whose key may go where);
    the engine never reads one from the environment."""

    backend = "openai-http"

    def __init__(self, base_url: str, model: str | None, context_window: int = 8192, api_key: str | None = None):
        super().__init__()
        base = base_url.rstrip("/")
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model or "default"
        self.label = self.model  # an endpoint's parameters are unknown: it is treated as capable (the operator chose it)
        self.context_window = context_window
        self._key = api_key

    def __repr__(self) -> str:  # never show the key in logs or tracebacks
        return f"OpenAIEngine({self.url!r}, model={self.model!r})"

    def _pieces(self, messages: Messages, params: ChatParams):
        import requests  # put off: loads requests (~0.1 s)

        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": params.temperature,
                "top_p": params.top_p, "max_tokens": params.max_tokens, "seed": params.seed}
        try:
            resp = requests.post(self.url, json=body, headers=headers, stream=True, timeout=(5, 120))
        except requests.RequestException as exc:
            raise DataError("The chat server at {url} could not be reached; check the URL and that it is running.",
                            url=self.url) from exc
        with resp:  # the server's own words are never shown: they are another party's text
            if resp.status_code != 200:
                raise DataError("The chat server answered with an error (HTTP {status}); check the model name and key.",
                                status=resp.status_code)
            for line in resp.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                yield _content(data)


def _content(data: str) -> str:
    try:
        choices = json.loads(data).get("choices") or [{}]
        return (choices[0].get("delta") or {}).get("content") or ""
    except (ValueError, AttributeError, IndexError, TypeError):
        raise DataError("The chat server's answer is not in the OpenAI streaming format; "
                        "check that the address points to an OpenAI-compatible /v1 endpoint.") from None
