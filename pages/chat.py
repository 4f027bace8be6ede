"""Chat: talk to a generative model, streamed; explain results; classify as you chat."""
import json

import streamlit as st

from core.chat.base import ChatParams, transcript_markdown
from core.report import build_dashboard, explain_prompt
from core.runs import RunFolder
from ui import resources, state
from ui.boot import ensure_app_navigation
from ui.chat import EMBEDDED, badge_for, history, pick_engine, reply, show, system_prompt
from ui import widgets
from ui.i18n import _, lang
from ui.widgets import guard

ensure_app_navigation()
st.title(_("Chat"))
store = resources.store_or_none()  # chat works without saved runs
done = store.jobs(("done",), kind="train") if store else []
with st.expander(_("Model and settings")):
    engine_source = pick_engine()
    system = st.text_area(_("System prompt"), system_prompt(lang()), key=f"system_{lang()}")
    c1, c2, c3 = st.columns(3)
    params = ChatParams(temperature=c1.slider(_("Temperature"), 0.0, 1.5, 0.7),
                        top_p=c2.slider(_("Top-p"), 0.1, 1.0, 0.9), max_tokens=c3.slider(_("Max new tokens"), 16, 1024, 256))
    run_labels = widgets.run_labels(store) if store else {}  # may be empty: chat works without runs
    choices = {None: _("no classifier"), **run_labels}
    badge_run = st.selectbox(_("Classify my messages with"), list(choices), format_func=choices.get)
if lang() == "zh" and st.session_state.get("chat_source", EMBEDDED) == EMBEDDED:
    st.info(_("The embedded SmolLM2-135M is small and writes weak Chinese. For better answers, pick an "
              "OpenAI-compatible server under Model and settings, for example a Qwen model on vLLM."))

messages = history()
for message in messages:
    show(message)

b1, b2, b3, b4 = st.columns(4)
explain = b1.button(_("Explain my results"), disabled=not done, help=_("Sends the selected evaluation to the chat model."))
if b2.button(_("Clear")):
    messages.clear()
    st.rerun()
b3.download_button(_("Transcript (Markdown)"), transcript_markdown(messages, lang()), "tunelab-chat.md", "text/markdown")
b4.download_button(_("Transcript (JSON)"), json.dumps(messages, ensure_ascii=False, indent=1), "tunelab-chat.json",
                   "application/json")
st.button(_("Stop"), help=_("Stops the answer being written; what has arrived is kept."))

prompt, facts = st.chat_input(_("Ask about your models, or anything else")), None
if state.get(state.PENDING_PROMPT) == "explain" or explain:
    st.session_state.pop(state.PENDING_PROMPT, None)
    runs = [i for i in state.get(state.SELECTED_RUNS, []) if i in run_labels] or [j.id for j in done[:3]]
    prompt = facts = explain_prompt(build_dashboard([store.run_dir(i) for i in runs], lang()))
if prompt and engine_source:
    with guard("The chat"):
        badge_model = str(RunFolder(store.run_dir(badge_run)).model_dir) if badge_run else None
        user = {"role": "user", "content": prompt, "badge": badge_for(prompt, badge_model)}
        messages.append(user)
        show(user)
        reply(engine_source(), messages, system, params, facts=facts)
