"""progress.jsonl: one JSON object a line, appended and flushed, read tolerantly.

The training process is the only writer; pages, the job runner and the CLI
read. Each line carries `t` (unix time) and `event` (start, step, eval, log,
end). A half-written last line (the writer was killed mid-write) is skipped.
"""
from __future__ import annotations

import json
import time
from pathlib import Path


class ProgressLog:
    """Appends events to a progress file (a run's, see core.runs); optionally echoes them to a callback."""

    def __init__(self, path: str | Path, echo=None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.echo = echo

    def __call__(self, event: dict) -> None:
        event = {"t": round(time.time(), 3), **event}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            f.flush()
        if self.echo:
            self.echo(event)


def progress_sink(path: str | Path | None, fallback=None):
    """Where a CLI command's progress goes: the JSON-lines file the app asked for, else
    `fallback` (a callable taking the event), else nowhere."""
    if path:
        return ProgressLog(path)
    return fallback or (lambda event: None)


def read_progress(path: str | Path) -> list[dict]:
    """All complete events of a progress file, oldest first; [] if none yet."""
    path = Path(path)
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a kill
    return events


def final_event(events: list[dict]) -> dict | None:
    """The `end` event, if the run finished (done, failed or cancelled)."""
    return next((e for e in reversed(events) if e.get("event") == "end"), None)
