"""`python -m core chat`: one prompt in, the answer streamed to stdout."""
from __future__ import annotations

import json
import os
import sys

from core.chat.base import ChatParams, with_system
from core.chat.endpoints import operator_key
from core.chat.loader import load_engine


def add_chat_parser(sub) -> None:
    c = sub.add_parser("chat", help="ask the chat model one question")
    c.add_argument("--model", default="default", help="'default' (embedded SmolLM2), a .gguf file, a folder or a Hub id")
    c.add_argument("--endpoint", help="base URL of an OpenAI-compatible server (vLLM, TGI, llama.cpp server)")
    c.add_argument("--endpoint-model", help="model name to ask the endpoint for")
    c.add_argument("--api-key-env", default=None,
                   help="environment variable holding the endpoint's key (default: TUNELAB_API_KEY, then OPENAI_API_KEY)")
    c.add_argument("--system", default=None)
    c.add_argument("--temperature", type=float, default=0.7)
    c.add_argument("--top-p", type=float, default=0.9)
    c.add_argument("--max-tokens", type=int, default=256)
    c.add_argument("--prompt", required=True)
    c.add_argument("--json", action="store_true")


def run_chat(args) -> int:

    # the CLI's user is the operator: their own key goes to the endpoint they name
    key = os.environ.get(args.api_key_env) if args.api_key_env else operator_key()
    engine = load_engine(args.model, endpoint=args.endpoint, endpoint_model=args.endpoint_model, api_key=key)
    params = ChatParams(temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens)
    messages = with_system([{"role": "user", "content": args.prompt}], args.system)
    pieces = []
    for piece in engine.stream(messages, params):
        pieces.append(piece)
        if not args.json:
            sys.stdout.write(piece)
            sys.stdout.flush()
    stats = engine.last_stats
    if args.json:
        print(json.dumps({"text": "".join(pieces), "tokens": stats.tokens, "ttft_s": stats.ttft_s,
                          "tokens_per_s": stats.tokens_per_s, "backend": engine.backend}, ensure_ascii=False))
    else:
        print()
        print(f"[{stats.tokens} tokens, {stats.tokens_per_s:.1f} tokens/s, first token after {stats.ttft_s:.2f} s]",
              file=sys.stderr)
    return 0
