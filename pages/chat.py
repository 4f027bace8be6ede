"""Chat: talk to a generative model, streamed; explain results; classify as you chat."""
import json

import streamlit as st

from core.chat.base import ChatParams, transcript_markdown
from core.chat.grounded import result_facts
from core.report import build_dashboard
from core.runs import RunFolder
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.chat import EMBEDDED, answer, badge_for, history, model_note, pick_engine, show, system_prompt
from ui.i18n import _, lang
from ui.run_picker import pick_group
from ui.widgets import guard

ensure_app_navigation()
st.title(_("Chat"))
store = resources.store_or_none()  # chat works without saved runs
with st.expander(_("Model and settings")):
    engine_source = pick_engine()
    system = st.text_area(_("System prompt"), system_prompt(lang()), key=f"system_{lang()}")
    c1, c2, c3 = st.columns(3)
    params = ChatParams(temperature=c1.slider(_("Temperature"), 0.0, 1.5, 0.7),
                        top_p=c2.slider(_("Top-p"), 0.1, 1.0, 0.9), max_tokens=c3.slider(_("Max new tokens"), 16, 1024, 256))
    group = pick_group(store, None, key="chat_dataset") if store else None  # chat works without runs
    run_labels = group.runs if group else {}
    choices = {None: _("no classifier"), **run_labels}
    badge_run = st.selectbox(_("Classify my messages with"), list(choices), format_func=choices.get)
model_note(st.session_state.get("chat_source", EMBEDDED))
if lang() == "zh" and st.session_state.get("chat_source", EMBEDDED) == EMBEDDED:
    st.info(_("The embedded SmolLM2-135M is small and writes weak Chinese. For better answers, pick an "
              "OpenAI-compatible server under Model and settings, for example a Qwen model on vLLM."))

messages = history()
for message in messages:
    show(message)

b1, b2, b3, b4 = st.columns(4)
explain = b1.button(_("Explain my results"), disabled=not run_labels, help=_("Sends the selected evaluation to the chat model."))
if b2.button(_("Clear")):
    messages.clear()
    st.rerun()
b3.download_button(_("Transcript (Markdown)"), transcript_markdown(messages, lang()), "tunelab-chat.md", "text/markdown")
b4.download_button(_("Transcript (JSON)"), json.dumps(messages, ensure_ascii=False, indent=1), "tunelab-chat.json",
                   "application/json")
st.button(_("Stop"), help=_("Stops the answer being written; what has arrived is kept."))

prompt = st.chat_input(_("Ask about your models, or anything else"))
explain = state.get(state.PENDING_PROMPT) == "explain" or explain
st.session_state.pop(state.PENDING_PROMPT, None)
if (prompt or explain) and engine_source:
    with guard("The chat"):
        runs = [i for i in (state.get(state.SELECTED_RUNS) or ((), ()))[1] if i in run_labels] or \
            (group.newest_version_runs()[:6] if group else [])
        facts = result_facts(build_dashboard([store.run_dir(i) for i in runs], lang()), lang()) if runs else None
        badge_model = str(RunFolder(store.run_dir(badge_run)).model_dir) if badge_run else None
        question = prompt or _("Explain my results")
        answer(engine_source(), messages, question, system, params, facts=facts, explain=bool(explain and not prompt),
               badge=badge_for(question, badge_model) if prompt else None)
