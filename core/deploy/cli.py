"""`python -m core serve`, `export` and `feedback`: run the REST API, export a fine-tune to ONNX or OpenVINO, read
what API clients corrected."""
from __future__ import annotations

import csv
import io
import json
import socket
import sys
import time
from pathlib import Path

from core.data.cli import write_output
from core.errors import DataError
from core.store import default_data_dir


def add_parsers(sub) -> None:
    s = sub.add_parser("serve", help="serve trained runs over a REST API (FastAPI + uvicorn)")
    s.add_argument("runs", nargs="+", help="run folders (or model folders) to serve")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--api-key-env", help="environment variable holding the key clients must send "
                                         "('Authorization: Bearer KEY'); default: no key")
    s.add_argument("--data-dir", help="where feedback is stored (default: TUNELAB_DATA_DIR or ~/.tunelab)")
    add_export_parser(sub)
    f = sub.add_parser("feedback", help="the corrections clients sent to POST /v1/feedback, as CSV or JSON")
    f.add_argument("--data-dir", help="the server's data directory (default: TUNELAB_DATA_DIR or ~/.tunelab)")
    f.add_argument("--model", help="only this served model's id")
    f.add_argument("--out", help="the CSV file to write (default: print CSV)")
    f.add_argument("--json", action="store_true")


def add_export_parser(sub) -> None:
    x = sub.add_parser("export", help="export a fine-tuned run to ONNX or OpenVINO (optionally int8), verified on "
                                      "its test rows; serve and predict then use the fastest verified export")
    x.add_argument("run")
    x.add_argument("--format", choices=["onnx", "openvino"], default="onnx",
                   help="onnx (onnxruntime) or openvino (faster on Intel CPUs: benchmarks/RESULTS.md)")
    x.add_argument("--int8", action="store_true", help="also quantize to int8 (refused if accuracy drops > 0.5 points)")
    x.add_argument("--out", help="folder to write (default: RUN/onnx or RUN/openvino, which serve and predict then use)")
    x.add_argument("--tolerance", type=float, default=0.005, help="accuracy drop int8 may cost (default 0.005)")
    x.add_argument("--progress", help="write JSON-lines progress here and run as a job (the app's export job)")


def cmd_export(args) -> int:
    if args.format == "openvino":
        from core.deploy.openvino import export_openvino as export  # put off: loads pandas, openvino (~0.7 s)
    else:
        from core.deploy.onnx import export_onnx as export  # put off: loads pandas (~0.4 s)

    if args.progress:
        return _export_job(args, export)
    report = export(args.run, int8=args.int8, out=args.out, tolerance=args.tolerance)
    print(json.dumps(report, indent=1))
    if "refused" in report.get("int8", {}):
        print(f"note: {report['int8']['refused']}", file=sys.stderr)
    return 0


def _export_job(args, export) -> int:
    """The export as a queued job: step events, Cancel, and an `end` event naming the runtime that now answers."""
    from core.deploy.runtimes import runtime_name  # put off: loads pandas (~0.4 s)
    from core.worker import job_process  # put off: loads pandas (~0.5 s)

    with job_process(args.progress) as worker:
        def work():
            worker.log({"event": "start"})
            steps = {"on_progress": worker.log} if args.format == "openvino" else {}
            report = export(args.run, int8=args.int8, out=args.out, tolerance=args.tolerance, **steps)
            worker.end.update(runtime=runtime_name(args.run), refused=report.get("int8", {}).get("refused"))

        worker.run(work)
    return 0


def cmd_feedback(args) -> int:
    """The API's stored corrections: for a run trained in the app they also wait in its dataset's review queue;
    for one trained with the CLI this is where they are (columns text, label, model, time)."""

    from core.data.feedback import api_feedback  # put off: loads pandas (~0.4 s)

    rows = api_feedback(Path(args.data_dir).expanduser() if args.data_dir else default_data_dir(), args.model)
    for row in rows:  # a person reads this: 2026-12-01T15:20:03Z, not 1764602403.1
        row["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["time"]))
    if args.json:
        print(json.dumps({"feedback": rows}, ensure_ascii=False, indent=1))
        return 0
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["text", "label", "model", "time"])
    writer.writeheader()
    writer.writerows(rows)
    if not args.out:
        sys.stdout.write(out.getvalue())
        return 0
    write_output(args.out, out.getvalue().encode("utf-8"))
    print(f"wrote {len(rows)} correction(s) to {args.out}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    import uvicorn  # put off: loads uvicorn (~0.1 s)

    from core.deploy.api import create_app  # put off: loads fastapi, pandas (~0.9 s)
    from core.deploy.serve import api_key_from_env, load_models  # put off: loads pandas (~0.6 s)

    key = api_key_from_env(args.api_key_env)
    check_address(args.host, args.port)  # before loading models: a busy port is a sentence, not a traceback
    models = load_models(args.runs)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    app = create_app(models, api_key=key, data_dir=data_dir)
    print(f"serving {', '.join(models)} on http://{args.host}:{args.port} (docs: /docs)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def check_address(host: str, port: int) -> None:
    """Refuse, in one sentence, a port out of range, a host that is not this machine's, or a port in use."""
    if not 0 < port < 65536:
        raise DataError(f"--port must be between 1 and 65535, not {port}.")
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise DataError(f"--host {host} is not an address this machine knows; use 127.0.0.1 or 0.0.0.0.") from None
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closing socket is no conflict
        try:
            s.bind(address)
        except OSError as exc:
            raise DataError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); stop whatever uses that port "
                            "or pick another --port.") from None
