"""The Chinese interface's catalogue and core: complete and safe to format, no message escaping extraction,
core's sentences, errors, dates and numbers in the reader's language. The pages in Chinese: tests/test_pages_zh.py."""
from __future__ import annotations

import ast
import string
import time
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.util import pathmatch

from core import i18n
from core.errors import DataError
from tests.conftest import ROOT

KEYWORDS = {"_": None, "N_": None, "DataError": None, "StorageError": None, "guard": None}
CFG = ROOT / "core" / "locales" / "babel.cfg"


def source_messages() -> dict[str, str]:
    """{message id: file} of every string the app can show, as `pybabel extract` with babel.cfg finds them."""
    with CFG.open() as f:
        method_map, options = parse_mapping_cfg(f, str(CFG))
    return {m[2]: m[0] for m in extract_from_dir(str(ROOT), method_map, options, keywords=KEYWORDS,
                                                  comment_tags=())}


def zh_entries():
    with (ROOT / "core" / "locales" / "zh.po").open("rb") as f:
        return [m for m in read_po(f) if m.id]


def fields(text: str) -> list[tuple[str, str]]:
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def test_every_message_has_a_chinese_translation_and_no_stale_one():
    source, zh = source_messages(), {m.id: m for m in zh_entries()}
    assert len(source) > 400  # the extraction itself works (it found the app's strings)
    missing = sorted(k for k in source if not (k in zh and zh[k].string and not zh[k].fuzzy))
    assert not missing, f"{len(missing)} message(s) lack a Chinese translation: {missing[:10]}"
    stale = sorted(k for k in zh if k not in source)
    assert not stale, f"zh.po has messages the code no longer uses: {stale[:10]}"
    with (ROOT / "core" / "locales" / "tunelab.pot").open("rb") as f:  # the English template, kept in step
        assert {m.id for m in read_po(f) if m.id} == set(source), "run the pybabel extract line in core/i18n.py"


def test_translations_keep_every_field_and_format():
    for m in zh_entries():
        assert fields(m.string) == fields(m.id), m.id
        if fields(m.id):  # both format with the same values (a typo like {n:.0} would raise here)
            values = {name: 0.5 for name, _ in fields(m.id)}
            m.id.format(**values), m.string.format(**values)


def extracted_files() -> list[Path]:
    """The Python files babel.cfg sends to the extractor (the first matching rule decides, as in pybabel)."""
    with CFG.open() as f:
        method_map, _ = parse_mapping_cfg(f, str(CFG))
    out = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if next((method for pattern, method in method_map if pathmatch(pattern, rel)), None) == "python":
            out.append(path)
    return out


def test_no_message_escapes_the_catalogue():
    """An f-string cannot be looked up in the catalogue, and the extractor skips it, `translator(lang)("...")` and
    a message inside an f-string without a word: all are refused here."""
    files, bad, source = extracted_files(), [], source_messages()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in KEYWORDS and isinstance(node.args[0], ast.JoinedStr):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} passes an f-string")
            if isinstance(node.func, ast.Call) and isinstance(node.args[0], ast.Constant):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} is not extracted; bind _ = translator(lang)")
            if name in KEYWORDS and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                    and node.args[0].value not in source:  # e.g. inside an f-string, where the extractor cannot see
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[0].value!r} is not extracted")
    assert len(files) > 30 and not bad, bad


def test_core_sentences_follow_the_language():
    from core.data.cleaning import warnings
    from core.data.language import sentence
    from core.evaluate import mcnemar_sentence

    test = {"p_value": 0.01, "method": "chi2"}
    assert mcnemar_sentence("基线", "微调", test, 0.9, 0.8, "zh") == "基线 比 微调 更好，且差距不是运气（p = 0.01）。"
    assert mcnemar_sentence("a", "b", test, 0.9, 0.8).startswith("The a is better than the b")
    assert sentence({"non_english": 0.9, "scripts": {"Chinese": 0.9}}, "zh") == "90% 的文本不是英文（文字：中文 90%）。"
    report = {"truncated": 2, "label_column": "y", "classes": {"a": 100, "b": 2}}
    assert [w[:2] for w in warnings(report, "zh")] == ["2 ", "各类", "1 "]
    assert i18n.translator("zh")("missing from the catalogue {n}", n=1) == "missing from the catalogue 1"
    assert i18n.language("../../etc") == "en" and i18n.language("zh") == "zh"


def test_a_data_error_reads_in_the_readers_language_and_a_phrase_field_too():
    from core.data.reading import read_table

    with pytest.raises(DataError) as err:
        read_table(b"%PDF-1.4 binary", "报告.csv")
    assert str(err.value).startswith("'报告.csv' looks like a PDF document")  # the CLI's English
    assert err.value.translated("zh").startswith("“报告.csv”看起来是PDF 文档，不是文本表格")


def test_dates_and_numbers_follow_the_language():
    moment = time.mktime((2026, 11, 26, 8, 5, 0, 0, 0, -1))
    assert i18n.when(moment, "en") == "Nov 26 08:05" and i18n.when(moment, "zh") == "11月26日 08:05"
    from babel.numbers import format_decimal, format_percent

    for locale in i18n.BABEL_LOCALE.values():  # the app's str.format numbers are what Babel writes in both
        assert format_decimal(1234567.5, format="#,##0.0", locale=locale) == f"{1234567.5:,.1f}" == "1,234,567.5"
        assert format_percent(0.853, locale=locale) == f"{0.853:.0%}" == "85%"
