"""`python -m core serve`: the deploy commands."""
from __future__ import annotations

import sys


def add_parsers(sub) -> None:
    s = sub.add_parser("serve", help="serve trained runs over a REST API (FastAPI + uvicorn)")
    s.add_argument("runs", nargs="+", help="run folders (or model folders) to serve")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--api-key-env", help="environment variable holding the key clients must send "
                                         "('Authorization: Bearer KEY'); default: no key")
    s.add_argument("--data-dir", help="where feedback is stored (default: TUNELAB_DATA_DIR or ~/.tunelab)")


def cmd_serve(args) -> int:
    from pathlib import Path

    import uvicorn

    from core.serve import api_key_from_env, load_models
    from core.serve_app import create_app
    from core.store import default_data_dir

    key = api_key_from_env(args.api_key_env)
    models = load_models(args.runs)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    app = create_app(models, api_key=key, data_dir=data_dir)
    print(f"serving {', '.join(models)} on http://{args.host}:{args.port} (docs: /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
