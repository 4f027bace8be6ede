"""The interface's languages: one gettext catalogue per language, and numbers and dates per locale.

The gettext convention: the English sentence in the source is the message id, so English needs no
catalogue and a missing translation falls back to English rather than to a key. Each other
language is one PO file, `core/locales/<lang>.po`, read once per process with Babel. Templates use
`str.format` fields (`"Saved {rows:,} rows."`), which keeps the fields named in every language.

Core never knows who is asking: functions that write sentences for people take `lang` ("en" by
default, which the CLI, the logs and the API always use) and call `translator(lang)`. Mark a
constant for the catalogue with `N_` and translate it where it is shown. Numbers keep str.format's
`{n:,}` and `{p:.0%}`, which match Babel's zh_CN and en formats (tests/test_i18n.py checks it).

To refresh the catalogues after changing strings (Babel's own tool; the keywords are tests/test_i18n.py's):
    pybabel extract -F core/locales/babel.cfg -k N_ -k DataError -k StorageError -k guard --no-location \
        --sort-output --omit-header -o core/locales/tunelab.pot .
    pybabel update -i core/locales/tunelab.pot -o core/locales/zh.po -l zh_Hans_CN
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Callable

from babel.dates import format_skeleton
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "zh": "简体中文"}  # code -> its own name, as the switch shows it
BABEL_LOCALE = {"en": "en", "zh": "zh_Hans_CN"}


def N_(message: str) -> str:
    """Marks a constant for the catalogue; translate it where it is shown."""
    return message


class Phrase(str):
    """A field value that is itself a message id (mark it with N_ where it is written): translated along with the
    sentence it fills. Any other field (a file name, a label) is the user's and stays as it is."""


def language(code: str | None) -> str:
    """A supported language code ("en" for anything unknown: a URL's ?lang= is user input)."""
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """{English message: translation} of one language; empty for English."""
    path = LOCALES / f"{language(lang)}.po"
    if lang == "en" or not path.is_file():
        return {}

    with path.open("rb") as f:
        cat = read_po(f)
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(lang: str) -> Callable[..., str]:
    """`_(message, **fields)`: the message in `lang`, fields filled in with str.format."""
    table = catalogue(language(lang))

    def _(message: str, **fields) -> str:
        text = table.get(message, message)
        if not fields:
            return text
        return text.format(**{k: table.get(v, v) if isinstance(v, Phrase) else v for k, v in fields.items()})
    return _


def when(timestamp: float, lang: str, seconds: bool = False) -> str:
    """A local date and time, short: "Nov 26 08:25" / "11月26日 08:25"."""
    moment, locale = dt.datetime.fromtimestamp(timestamp), BABEL_LOCALE[language(lang)]
    return f"{format_skeleton('MMMd', moment, locale=locale)} {format_skeleton('Hms' if seconds else 'Hm', moment, locale=locale)}"

