"""Which chat servers may receive the operator's API key, and which URLs visitors may use.

The operator lists trusted OpenAI-compatible servers in `TUNELAB_CHAT_ENDPOINTS`:
entries separated by commas or new lines, each `Label=https://host/v1`, optionally
`Label=https://host/v1|model-name`, optionally `Label=https://host/v1|model-name|0.15`: the price in US dollars per
million tokens, which the LLM contender's cost columns use. Only these receive the operator's key
(`TUNELAB_API_KEY`, else `OPENAI_API_KEY`). A URL a visitor types gets only the key
that visitor typed (kept in their browser session, never in the environment or a
shared cache). `TUNELAB_CUSTOM_ENDPOINTS=0` switches typed URLs off, for a public Space
where the server should not make requests to addresses strangers choose.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import DataError

PREFIX = "endpoint:"  # an LLM spec naming the operator's endpoint by its label: "endpoint:LABEL"
VISITOR_KEY_ENV = "TUNELAB_LLM_KEY"  # a visitor's own key for a typed URL: one worker's environment, never a file


@dataclass(frozen=True)
class Endpoint:
    label: str
    url: str
    model: str = "default"
    price: float | None = None  # US dollars per million tokens (input and output alike), when the operator gave one


def configured() -> list[Endpoint]:
    """The operator's endpoints, in the order given; malformed entries are skipped."""
    out = []
    for entry in os.environ.get("TUNELAB_CHAT_ENDPOINTS", "").replace("\n", ",").split(","):
        label, sep, rest = entry.strip().partition("=")
        url, _, tail = rest.strip().partition("|")
        model, _, price = tail.partition("|")
        if sep and label.strip() and _valid(url.strip()):
            out.append(Endpoint(label.strip(), url.strip(), model.strip() or "default", _price(price)))
    return out


def is_endpoint(spec: str) -> bool:
    """An LLM spec that names a server (the operator's `endpoint:LABEL`, or a typed URL), not a model on disk."""
    return (spec or "").startswith((PREFIX, "http://", "https://"))


def _price(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def find(label: str) -> Endpoint | None:
    """The operator's endpoint called `label`, if there is one."""
    return next((e for e in configured() if e.label == label), None)


def operator_key() -> str | None:
    return os.environ.get("TUNELAB_API_KEY") or os.environ.get("OPENAI_API_KEY") or None


def custom_allowed() -> bool:
    return os.environ.get("TUNELAB_CUSTOM_ENDPOINTS", "1").strip().lower() not in ("0", "false", "no", "off")


def _norm(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def _valid(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_configured(url: str) -> bool:
    return matching(url) is not None


def matching(url: str) -> Endpoint | None:
    """The operator's endpoint at `url` (scheme, host and path compared, trailing slash ignored), if any."""
    return next((e for e in configured() if _norm(e.url) == _norm(url)), None)


def key_for(url: str, visitor_key: str | None = None) -> str | None:
    """The key to send to `url`: the operator's for a configured endpoint, else only the visitor's own."""
    if is_configured(url):
        return operator_key()
    if not custom_allowed():
        raise DataError("This server only talks to the chat servers its operator configured; pick one from the list.")
    if not _valid(url):
        raise DataError("Enter the server's address starting with http:// or https://, for example http://127.0.0.1:8000/v1.")
    return visitor_key or None
