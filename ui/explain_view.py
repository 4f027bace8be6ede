"""Show an explanation: the text with its words highlighted, and the words that weighed most."""
from __future__ import annotations

import streamlit as st

from core.trust.explain import Explanation, highlight_html, top_words_sentence
from ui.i18n import lang


def show(text: str, ex: Explanation, caption: str | None = None) -> None:
    """st.html gets only escaped text (core.trust.explain.highlight_html); the sentence goes through st.text."""
    if caption:
        st.caption(caption)
    st.html(highlight_html(text, ex))
    st.text(top_words_sentence(ex, lang=lang()))
