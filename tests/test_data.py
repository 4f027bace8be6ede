"""core.data.reading / core.data.cleaning: every format, encoding and refusal the issue names."""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from core.data.cleaning import MAX_TEXT_CHARS, guess_columns, load_dataset, require_two_classes, split_dataset
from core.data.reading import read_table
from core.errors import DataError
from tests.conftest import shared

ROWS = [("The delivery was fast and the box was intact", "positive"), ("Terrible support, nobody answered", "negative"),
        ("Works as described, happy with it", "positive"), ("Broke after two days of use", "negative")] * 5


def frame(text="text", label="label") -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=[text, label])


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters(sep):
    ds = load_dataset(frame().to_csv(index=False, sep=sep).encode(), "x.csv")
    assert ds.report.text_column == "text" and ds.report.label_column == "label"
    assert ds.report.rows == 4 and ds.report.dropped["duplicates"] == 16


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("utf-16", "utf-16"), ("cp1252", "cp1252")])
def test_encodings_western(encoding, expected):
    df = pd.DataFrame({"review": ["Café très agréable, service soigné", "Déçu, la crème était tournée"] * 6,
                       "sentiment": ["pos", "neg"] * 6})
    ds = load_dataset(df.to_csv(index=False).encode(encoding), "fr.csv")
    assert ds.report.encoding == expected
    assert "Café très agréable, service soigné" in set(ds.df["text"])


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_encodings_chinese(encoding):
    df = pd.DataFrame({"评论": ["这个产品非常好，我很喜欢", "质量太差了，不推荐购买", "物流很快，包装完好", "客服态度恶劣"] * 3,
                       "情感": ["正面", "负面", "正面", "负面"] * 3})
    ds = load_dataset(df.to_csv(index=False).encode(encoding), "zh.csv")
    assert ds.report.text_column == "评论" and ds.report.label_column == "情感"
    assert set(ds.df["label"]) == {"正面", "负面"} and "质量太差了，不推荐购买" in set(ds.df["text"])


def test_real_cp1252_file_with_crlf():
    ds = load_dataset(shared("mr_polarity/test_cp1252.csv"))
    assert ds.report.encoding == "cp1252" and ds.report.rows == 2132
    assert ds.df["text"].str.contains("cliché").any()
    assert not ds.df["text"].str.contains("\r").any()


@pytest.mark.parametrize("cols", [("review", "sentiment"), ("Customer comment", "Category"), ("body", "intent")])
def test_guess_columns_by_name_and_content(cols):
    df = frame(*cols)
    df.insert(0, "id", range(len(df)))
    assert guess_columns(df.astype(str)) == cols


def test_no_header_is_detected():
    raw = read_table("great movie,pos\nawful film,neg\nloved it,pos\nhated it,neg\n".encode(), "x.csv")
    assert not raw.has_header and len(raw.df) == 4


def test_formats_json_jsonl_parquet_xlsx(tmp_path):
    df = frame()
    records = df.to_dict("records")
    for name, data in [("a.json", json.dumps(records).encode()), ("b.json", json.dumps({"data": records}).encode()),
                       ("c.jsonl", "\n".join(json.dumps(r) for r in records).encode())]:
        assert load_dataset(data, name).report.rows == 4, name
    pq = io.BytesIO()
    df.to_parquet(pq)
    assert load_dataset(pq.getvalue(), "d.parquet").report.rows == 4
    df2 = df.assign(label=[1, 0, 1, 0] * 5)  # numeric labels from Excel come back as '1', not '1.0'
    df2.to_excel(tmp_path / "e.xlsx", index=False)
    ds = load_dataset(tmp_path / "e.xlsx")
    assert set(ds.df["label"]) == {"0", "1"}


@pytest.mark.parametrize("data,name,phrase", [
    (b"", "empty.csv", "is empty"),
    (b"text,label\n", "header.csv", "no data rows"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.csv", "PNG image"),
    (bytes(range(256)) * 20, "blob.csv", "binary file"),
    (b"PK\x03\x04broken-zip-content" * 10, "book.xlsx", "Excel workbook"),
    (b"id,score\n1,3\n2,4\n3,5\n", "numbers.csv", "No column of free text"),
    (b'[{"text": "a", "label": ', "bad.json", "not valid JSON"),
])
def test_refusals_are_one_plain_sentence(data, name, phrase):
    with pytest.raises(DataError) as err:
        load_dataset(data, name)
    msg = str(err.value)
    assert phrase in msg and "\n" not in msg and "Traceback" not in msg


def test_single_class_refused_at_training_time():
    ds = load_dataset(b"text,label\nhello there,a\nbye now,a\n", "one.csv")
    with pytest.raises(DataError, match="Only one class"):
        require_two_classes(ds.df["label"])


def test_cleaning_report_counts_every_drop():
    csv = ("text,label\nfine text,a\n,b\nno label,\nfine text,a\nsame text,a\nsame text,b\n"
           "bad,row,with,extra\nother,b\n")
    ds = load_dataset(csv.encode(), "x.csv")
    r = ds.report
    assert r.dropped == {"malformed": 1, "empty_text": 1, "missing_label": 1, "duplicates": 1}
    assert r.conflicting_texts == 1 and r.rows == 4 and r.classes == {"a": 2, "b": 2}


def test_huge_cell_is_truncated_and_reported():
    big = "word " * (4 * 1024 * 1024)  # a 20 MB cell
    csv = f"text,label\n\"{big}\",a\nshort one,b\nanother one,a\n"
    ds = load_dataset(csv.encode(), "big.csv")
    assert ds.df["text"].str.len().max() == MAX_TEXT_CHARS and ds.report.truncated == 1
    assert any("cut to" in w for w in ds.report.warnings)


def test_split_is_stratified_seeded_and_copes_with_tiny_classes():
    df = pd.DataFrame({"text": [f"t{i}" for i in range(103)], "label": ["a"] * 60 + ["b"] * 40 + ["c"] * 2 + ["d"]})
    s1, s2 = split_dataset(df, seed=1), split_dataset(df, seed=1)
    assert s1.test.equals(s2.test) and not s1.test.equals(split_dataset(df, seed=2).test)
    assert s1.test["label"].value_counts().to_dict() == {"a": 6, "b": 4}
    assert {"c", "d"} <= set(s1.train["label"]) and len(s1.train) + len(s1.val) + len(s1.test) == 103
