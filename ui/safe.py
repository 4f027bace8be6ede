"""One escaping helper for every user- or model-supplied string that goes into markdown.

st.markdown (and every widget label, caption, st.error, st.metric label) renders
Markdown: a class label like `![x](http://host/x.png)` would make every viewer's
browser fetch that URL, and `:red[...]` or `**` would restyle the page. `md()`
backslash-escapes every character Markdown or Streamlit's directives give a
meaning to, so the text shows exactly as typed. Raw HTML is never enabled.
"""
from __future__ import annotations

import re

# CommonMark's escapable ASCII punctuation (all of it), so no construct survives; ':' covers
# Streamlit's :color[...] and :emoji: directives, '$' its LaTeX.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^,;?@%/])")


def md(text) -> str:
    """`text` as literal Markdown: shown as typed, never interpreted (links, images, HTML, directives)."""
    text = _SPECIAL.sub(r"\\\1", str(text))
    return text.replace("\n", "  \n")  # keep line breaks visible as breaks, not as Markdown blocks
