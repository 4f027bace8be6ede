"""The reader's language in the app: the sidebar switch, `?lang=zh` in the URL, and `_()` for every
visible string. The choice lives in this browser session's state (never a module global); core's
sentences get it as `lang()`."""
from __future__ import annotations

import streamlit as st

from core import i18n
from core.i18n import LANGUAGES, N_
from ui import state

__all__ = ["N_", "_", "lang", "when", "init", "switch"]  # N_ too: ui constants mark their messages with it
SWITCH = "lang_switch"  # the radio's own key; state.LANG holds the language


def lang() -> str:
    """This session's language code: "en" or "zh"."""
    return st.session_state.get(state.LANG, "en")


def _(message: str, **fields) -> str:
    """`message` in this session's language, fields filled in (str.format)."""
    return i18n.translator(lang())(message, **fields)


def when(timestamp: float, seconds: bool = False) -> str:
    return i18n.when(timestamp, lang(), seconds)


def init() -> None:
    """Before anything renders: the language from this session, else from ?lang= in the URL, else English;
    then the URL says it, so a reload or a shared link keeps it."""
    if state.LANG not in st.session_state:
        st.session_state[state.LANG] = i18n.language(st.query_params.get("lang"))
    _sync_url()


def _sync_url() -> None:
    code = lang()
    if code == "en":
        st.query_params.pop("lang", None)
    elif st.query_params.get("lang") != code:
        st.query_params["lang"] = code


def switch() -> None:
    """The sidebar's language switch (each language named in itself). The choice is copied to a plain session
    key: Streamlit drops a widget's own key on any run that does not draw it."""
    codes = list(LANGUAGES)
    st.radio("Language / 语言", codes, index=codes.index(lang()), format_func=LANGUAGES.get, key=SWITCH,
             horizontal=True, on_change=_switched, label_visibility="collapsed")  # a radio cannot be unselected


def _switched() -> None:
    st.session_state[state.LANG] = i18n.language(st.session_state[SWITCH])
    _sync_url()
