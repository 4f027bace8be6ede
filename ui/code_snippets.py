"""The Predict page's "Use it from code": the command that serves the chosen model, and
ready-to-copy curl and Python calls with a real text from its test rows. Code goes through
st.code, which shows it verbatim (user text is JSON- and shell-quoted, never markup)."""
from __future__ import annotations

import json
import shlex
import sys

import streamlit as st

from core.runs import RunFolder
from ui.i18n import _


def snippets(run: RunFolder) -> dict[str, str]:
    predictions = run.predictions(columns=["text"])
    example = str(predictions["text"].iloc[0]) if predictions is not None and len(predictions) else "your text here"
    body = json.dumps({"texts": [example[:300]], "model": run.id}, ensure_ascii=False)
    return {
        "serve": f"{shlex.quote(sys.executable)} -m core serve {shlex.quote(str(run.path))} --port 8000\n"
                 "# add --host 0.0.0.0 to listen beyond this machine, --api-key-env VAR to require a key",
        "curl": "curl -s http://127.0.0.1:8000/v1/classify -H 'Content-Type: application/json' \\\n"
                f"  -d {shlex.quote(body)}",
        "python": "import requests\n\n"
                  f"texts = {json.dumps([example[:300]], ensure_ascii=False)}\n"
                  'answer = requests.post("http://127.0.0.1:8000/v1/classify",\n'
                  f'                       json={{"texts": texts, "model": "{run.id}"}}, timeout=30)\n'
                  'for p in answer.json()["predictions"]:\n    print(p["label"], round(p["confidence"], 3))',
    }


def use_from_code(run: RunFolder) -> None:
    with st.expander(_("Use it from code")):
        code = snippets(run)
        st.caption(_("1. Start the API for this model (from the Tunelab folder):"))
        st.code(code["serve"], language="bash")
        st.caption(_("2. Call it with curl, or from Python:"))
        st.code(code["curl"], language="bash")
        st.code(code["python"], language="python")
        st.caption(_("The API docs are at {url} once it runs.", url="http://127.0.0.1:8000/docs"))
