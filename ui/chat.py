"""Chat page glue: history rendering and streaming that survives a Stop click."""
from __future__ import annotations

import streamlit as st

from core.chat.base import ChatParams, with_system
from ui import resources, state


def history() -> list[dict]:
    messages = state.get(state.CHAT)
    if messages is None:
        messages = []
        state.put(state.CHAT, messages)
    partial = st.session_state.pop(state.CHAT_PARTIAL, None)
    if partial:  # the last answer was interrupted by Stop: keep what had arrived
        messages.append({"role": "assistant", "content": partial + " …", "stats": "stopped"})
    return messages


def show(message: dict) -> None:
    with st.chat_message(message["role"]):
        if message["role"] == "user":
            st.text(message["content"])  # exactly what was typed; never markup
            if message.get("badge"):
                st.badge(message["badge"], icon=":material/label:")
        else:
            st.markdown(message["content"])  # model text; raw HTML is not rendered (no unsafe_allow_html)
            if message.get("stats"):
                st.caption(message["stats"])


def badge_for(text: str, model_dir: str | None) -> str | None:
    if not model_dir:
        return None
    from core.predict import predict_frame

    row = predict_frame(None, [text], model=resources.classifier(model_dir)).iloc[0]
    return f"{row['pred']} · {row['confidence']:.0%}"


def reply(engine, messages: list[dict], system: str, params: ChatParams) -> None:
    """Stream the assistant's answer into the page and the history."""
    turns = [{"role": m["role"], "content": m["content"]} for m in messages]
    st.session_state[state.CHAT_PARTIAL] = ""

    def pieces():
        for piece in engine.stream(with_system(turns, system), params):
            st.session_state[state.CHAT_PARTIAL] += piece
            yield piece

    with st.chat_message("assistant"):
        if engine.lock.locked():
            st.caption("Another user's answer is being written; yours starts right after.")
        text = st.write_stream(pieces())
        s = engine.last_stats
        stats = f"{s.tokens} tokens · {s.tokens_per_s:.1f} tokens/s · first token after {s.ttft_s:.2f} s"
        if s.trimmed_messages:
            stats += f" · {s.trimmed_messages} old message(s) left out to fit the model's memory"
        st.caption(stats)
    st.session_state.pop(state.CHAT_PARTIAL, None)
    messages.append({"role": "assistant", "content": text if isinstance(text, str) else "".join(text), "stats": stats})
