"""Glossary: every metric and setting Tunelab shows, in one plain line each (the same lines as the help on
Train and Evaluate, and what the chat quotes)."""
import streamlit as st

from core.glossary import ENTRIES
from ui.boot import ensure_app_navigation
from ui.i18n import _
from ui.safe import md
from ui.widgets import capitalised

ensure_app_navigation()
st.title(_("Glossary"))
st.write(_("What the words on Train and Evaluate mean, in one line each. The chat answers questions about these "
           "terms with the same lines."))
for entry in ENTRIES:
    st.markdown(f"**{md(capitalised(_(entry.term)))}**  \n{md(_(entry.line))}")
