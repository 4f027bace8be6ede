"""Make every page run through app.py's navigation, even on a deep link.

Streamlit 1.67 treats a `pages/` folder beside app.py as a legacy (v1) multipage
app until some session runs `st.navigation`. If the first request after a server
start is a deep link (a reloaded tab on /evaluate), the page runs alone: no
app.py, no shared sidebar, the v1 page list. Each page calls this first; on a
session's first run it switches the legacy mode off for the process and reruns
through app.py. Only then: a rerun later would swallow the widget event that
caused the run (AppTest resets the flag before every run, which is how we know).
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui import i18n, state


def ensure_app_navigation() -> None:
    i18n.init()  # a page run alone (the legacy mode below) still speaks the session's language
    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx else None  # the page running now (st.navigation's answer is not, in AppTest)
    state.put(state.ARRIVED, state.get(state.PAGE) not in (None, page))
    state.put(state.PAGE, page)
    first_run = not state.get(state.NAV_CHECKED)
    state.put(state.NAV_CHECKED, True)
    if first_run and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself does on its first call
        st.rerun()
