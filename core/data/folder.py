"""The dataset folder: the only code that knows its file names, as core.runs.RunFolder is for a run's.

    datasets/<id>/  original.<ext>  cleaned.parquet (text, label, row)  report.json
                    pending.jsonl  handled.jsonl  decisions.jsonl       (the corrections queue, core.data.feedback)
                    versions/<n>/  rows.parquet (uid, text, label, split)  changes.jsonl  meta.json
                    versions/.lock

Saving a dataset writes the upload as received (nothing the user gave is lost), the cleaned rows and the
cleaning report (core.data.datasets); versions (core.data.versions) and the queue (core.data.feedback) live
beside them. Folders written before this module existed have the same names, so they still load.
"""
from __future__ import annotations

from pathlib import Path

CLEANED, REPORT, ORIGINAL = "cleaned.parquet", "report.json", "original"
PENDING, HANDLED, DECISIONS = "pending.jsonl", "handled.jsonl", "decisions.jsonl"
VERSIONS, ROWS, CHANGES, META, LOCK = "versions", "rows.parquet", "changes.jsonl", "meta.json", ".lock"


class DatasetFolder:
    """One dataset's folder (its id is the folder's name); paths only, nothing read or written here."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DatasetFolder({str(self.path)!r})"

    @property
    def id(self) -> str:
        return self.path.name

    # the upload
    def original_file(self, extension: str) -> Path:
        """Where the upload's bytes go; `extension` comes from a fixed list, never from a user's file name."""
        return self.path / f"{ORIGINAL}{extension}"

    @property
    def cleaned(self) -> Path:
        return self.path / CLEANED

    @property
    def report(self) -> Path:
        return self.path / REPORT

    # the corrections queue
    @property
    def pending(self) -> Path:
        return self.path / PENDING

    @property
    def handled(self) -> Path:
        return self.path / HANDLED

    @property
    def decisions(self) -> Path:
        return self.path / DECISIONS

    # versions
    @property
    def versions(self) -> Path:
        return self.path / VERSIONS

    @property
    def lock(self) -> Path:
        return self.versions / LOCK

    def version(self, n: int) -> Path:
        return self.versions / str(int(n))

    def partial_version(self, n: int) -> Path:
        """Where version n is written before it is renamed into place (a crash leaves no half version)."""
        return self.versions / f".partial-{int(n)}"

    def rows(self, n: int) -> Path:
        return self.version(n) / ROWS

    def changes(self, n: int) -> Path:
        return self.version(n) / CHANGES

    def meta(self, n: int) -> Path:
        return self.version(n) / META

    def version_numbers(self) -> list[int]:
        """The versions written completely, oldest first."""
        if not self.versions.is_dir():
            return []
        return sorted(int(d.name) for d in self.versions.iterdir() if d.name.isdigit() and (d / META).is_file())
