"""Read what people really upload into a DataFrame of strings.

`read_table(source, filename)` takes a path or bytes in CSV, TSV, TXT, JSON,
JSONL, Parquet or Excel (.xlsx), detects the encoding, delimiter and header,
and raises `DataError` with one plain sentence for anything unusable.
Column guessing, cleaning and splitting live in `core.data.cleaning`.
"""
from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from charset_normalizer import from_bytes

from core.errors import DataError
from core.i18n import N_, Phrase

MAX_FILE_BYTES = 200 * 1024 * 1024  # the app's upload cap; a 200 MB CSV parses in ~20 s here
SNIFF_BYTES = 64 * 1024  # enough lines to vote on a delimiter without touching a 20 MB cell
DELIMITERS = [",", ";", "\t", "|"]
SUPPORTED = ".csv, .tsv, .txt, .json, .jsonl, .parquet or .xlsx"

_MAGIC = {  # binary formats people rename to .csv by accident
    b"\x89PNG": N_("a PNG image"), b"\xff\xd8\xff": N_("a JPEG image"), b"GIF8": N_("a GIF image"),
    b"%PDF": N_("a PDF document"), b"\xd0\xcf\x11\xe0": N_("an old Excel (.xls) or Word file"),
    b"PK\x03\x04": N_("a zip archive"), b"PAR1": N_("a Parquet file"), b"\x1f\x8b": N_("a gzip archive"),
}
NOT_A_TABLE = N_("'{name}' holds JSON that is not a table; use a list of objects like {{\"text\": ..., \"label\": ...}}.")


@dataclass
class RawTable:
    """A table as read, before any cleaning, plus what reading noticed."""

    df: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    malformed_rows: int = 0
    warnings: list[str] = field(default_factory=list)


def read_table(source: str | Path | bytes, filename: str | None = None) -> RawTable:
    """Read a path or raw bytes into a `RawTable` of string columns."""
    data, name = _load_bytes(source, filename)
    if not data.strip():
        raise DataError("The file '{name}' is empty; choose a file with a header row and at least a few rows of text.",
                        name=name)
    ext = Path(name).suffix.lower()
    if ext == ".xlsx" or (ext not in (".parquet",) and data[:4] == b"PK\x03\x04"):
        return RawTable(_read_excel(data, name))
    if ext == ".parquet" or data[:4] == b"PAR1":
        return RawTable(_read_parquet(data, name))
    if ext == ".xls":
        raise DataError("Old .xls Excel files are not supported; open the file in Excel and save it as .xlsx or .csv.")
    _refuse_binary(data, name)
    text, encoding = decode(data)
    if ext in (".json", ".jsonl") or text.lstrip()[:1] in ("[", "{"):
        return RawTable(_read_json(text, name, jsonl=ext == ".jsonl"), encoding=encoding)
    return _read_delimited(text, name, encoding, tab=ext == ".tsv")


def _load_bytes(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), filename or "upload.csv"
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError("There is no file at '{path}'; check the path and try again.", path=path)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataError("'{name}' is larger than {mb} MB; split it or sample rows first.", name=path.name,
                            mb=MAX_FILE_BYTES // 2**20)
        data, name = path.read_bytes(), filename or path.name
    if len(data) > MAX_FILE_BYTES:
        raise DataError("'{name}' is larger than {mb} MB; split it or sample rows first.", name=name,
                        mb=MAX_FILE_BYTES // 2**20)
    return data, name


def _refuse_binary(data: bytes, name: str) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise DataError("'{name}' looks like {what}, not a text table; upload a {formats} file.", name=name,
                            what=Phrase(what), formats=SUPPORTED)
    head = data[:SNIFF_BYTES]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return  # UTF-16 has NUL bytes by design
    control = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if control > len(head) // 100:  # >1% control bytes: no text encoding we accept looks like that
        raise DataError("'{name}' is a binary file, not a text table; upload a {formats} file.", name=name,
                        formats=SUPPORTED)


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes, detecting UTF-8 (with or without BOM), UTF-16, GB18030/GBK or Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _guess_legacy_encoding(data)
    return data.decode(encoding, errors="replace"), encoding


def _guess_legacy_encoding(data: bytes) -> str:
    """Chinese GBK text and Western cp1252 text both decode as GB18030, so let
    charset-normalizer judge which reading is coherent; fall back to cp1252."""

    sample = data[: 512 * 1024]
    best = from_bytes(sample, cp_isolation=["gb18030", "cp1252", "big5", "shift_jis"]).best()
    if best is None:
        return "cp1252"
    return {"gb18030": "gb18030", "big5": "big5", "shift_jis": "shift_jis"}.get(best.encoding, "cp1252")


def _read_excel(data: bytes, name: str) -> pd.DataFrame:
    try:
        df = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises a zoo of types for broken zips and XML
        raise DataError("'{name}' could not be opened as an Excel workbook (it may be damaged); re-save it as .xlsx or "
                        ".csv.", name=name) from exc
    return _stringify(df)


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise DataError("'{name}' could not be read as a Parquet file (it may be damaged); export it again.", name=name) from exc
    return _stringify(df)


def _read_json(text: str, name: str, jsonl: bool) -> pd.DataFrame:
    try:
        if jsonl or "\n{" in text.strip()[:SNIFF_BYTES] and not text.lstrip().startswith("["):
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError("'{name}' is not valid JSON (line {line}); fix that line or export the data as CSV.", name=name,
                        line=exc.lineno) from exc
    if isinstance(records, dict):  # {"data": [...]} or {"text": [...], "label": [...]}
        lists = [v for v in records.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        records = lists[0] if lists else records
    try:
        df = pd.DataFrame(records)
    except ValueError as exc:
        raise DataError(NOT_A_TABLE, name=name) from exc
    if df.empty or not all(isinstance(r, dict) for r in (records if isinstance(records, list) else [{}])):
        raise DataError(NOT_A_TABLE, name=name)
    return _stringify(df)


def _read_delimited(text: str, name: str, encoding: str, tab: bool) -> RawTable:
    # a huge cell (cut off mid-quote by the sample) would out-vote the real rows, so lines
    # over 4k chars sit out the vote; the full parse below still reads them
    lines = [ln for ln in text[:SNIFF_BYTES].splitlines()[:200] if len(ln) < 4096]
    delimiter = "\t" if tab else _sniff_delimiter(lines)
    header = _has_header(lines, delimiter)
    bad: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            df = pd.read_csv(io.StringIO(text), sep=delimiter or "\x1f", header=0 if header else None,
                             dtype=str, keep_default_na=False, on_bad_lines="warn", engine="c")
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError("'{name}' could not be read as a table ({why}); check that every row has the same columns.",
                            name=name, why=str(exc).splitlines()[0]) from exc
    for w in caught:
        bad += [ln for ln in str(w.message).splitlines() if ln.startswith("Skipping line")]
    if not header:
        df.columns = [f"column_{i + 1}" for i in range(df.shape[1])]
    if df.empty:
        raise DataError("'{name}' has a header row but no data rows; add rows of text with their labels.", name=name)
    notes = [f"{len(bad)} malformed row(s) with the wrong number of columns were skipped."] if bad else []
    return RawTable(_stringify(df, cells=False), encoding, delimiter, header, len(bad), notes)


def _sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits most lines into the same number (>1) of fields."""
    best, best_score = None, 0.0
    sample = [ln for ln in lines if ln.strip()][:100]
    for delim in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * (mode > 1) * (1 + 0.01 * min(mode, 20))
        if score > best_score:
            best, best_score = delim, score
    return best


HEADER_WORDS = {"text", "label", "labels", "review", "sentiment", "comment", "category", "class", "target",
                "message", "content", "sentence", "intent", "topic", "body", "tweet", "question", "id"}


def _has_header(lines: list[str], delimiter: str | None) -> bool:
    """A first row is a header if it names a known column, or if none of its cells
    looks like data from the rows below it (a number, or a value repeated below)."""
    rows = list(csv.reader(lines[:50], delimiter=delimiter or "\x1f")) if lines else []
    if len(rows) < 2:
        return True
    first, rest = rows[0], rows[1:]
    if any(c.strip().lower() in HEADER_WORDS for c in first):
        return True
    for i, cell in enumerate(first):
        below = [r[i] for r in rest if i < len(r)]
        if not cell.strip() or _is_number(cell) and not all(_is_number(b) for b in below):
            return False
        if cell in below or len(cell) > 60:
            return False
    return True


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _stringify(df: pd.DataFrame, cells: bool = True) -> pd.DataFrame:
    """Every cell becomes a str ('' for missing); 1.0 from Excel becomes '1'.
    CSV is already read as str, so `cells=False` only tidies the column names."""
    df = df.copy()
    df.columns = [str(c).strip() or f"column_{i + 1}" for i, c in enumerate(df.columns)]
    for col in df.columns if cells else []:
        df[col] = df[col].map(_cell_to_str)
    return df


def _cell_to_str(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
