"""Chat page glue: history rendering and streaming that survives a Stop click."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from core import labelsets
from core.chat import endpoints, grounded
from core.chat.base import ChatParams
from core.chat.loops import finish
from core.trust.facts import unsupported_numbers
from ui import resources, state
from ui.i18n import N_, _, lang
from ui.safe import md

EMBEDDED, LOCAL, SERVER, TUNED = "embedded", "local", "server", "tuned"
SOURCES = {EMBEDDED: N_("Embedded SmolLM2-135M (llama.cpp, offline)"),
           LOCAL: N_("A model installed here, or one from the Hub"),
           SERVER: N_("OpenAI-compatible server (vLLM, TGI, llama.cpp server)"),
           TUNED: N_("A LoRA-tuned LLM from your runs")}
WRITTEN_BY = {"results": N_("Written by Tunelab from your results: {model} is too small to be relied on with them."),
              "glossary": N_("From Tunelab's glossary: {model} is too small to be relied on for definitions.")}
OWN_SERVER = "\0own"  # a value no configured server's label can take
HUB = "\0hub"  # a value no file or folder name can take


SYSTEM = N_("You are Tunelab's assistant. You help people understand text classifiers and their results. "
            "Answer briefly and in plain language.")


def system_prompt(lang: str) -> str:
    """The built-in system prompt in `lang`; its translation asks for answers in that language."""
    from core.i18n import translator

    return translator(lang)(SYSTEM)


def model_note(source: str) -> None:
    """Which model answers, and whether it can be relied on (the page says so before anyone asks)."""
    from core.chat.local import configured_default

    if source != EMBEDDED:
        return
    if configured_default():
        st.caption(_("Answering: {model}, the default chosen by whoever runs Tunelab.", model=md(configured_default())))
        return
    st.info(_("Answering: SmolLM2-135M-Instruct, embedded. At 135 million parameters it is too small to be relied "
              "on: answers about your results and about terms (macro-F1, p-value ...) are written by Tunelab from "
              "your evaluation and its glossary; other questions get the model's own answer, which can be wrong. "
              "Whoever runs Tunelab can set a stronger default with TUNELAB_CHAT_MODEL (see the README)."),
            icon=":material/info:")


def pick_engine() -> Callable[[], object] | None:
    """The chat model picker. Returns a function that gives the engine, or None until the
    choice is complete. The operator's key goes only to the servers the operator configured
    (core.chat.endpoints); a typed address gets only the key typed here, kept in this session."""
    from core.chat.local import configured_default

    names = {k: _(v) for k, v in SOURCES.items()}  # made in the script run (a format_func also runs outside it)
    tuned = _tuned_runs()
    if not tuned:
        names.pop(TUNED)
    if configured_default():
        names[EMBEDDED] = _("This installation's default: {model}", model=configured_default())
    source = st.radio(_("Chat model"), list(names), format_func=names.get, key="chat_source")
    if source == EMBEDDED:
        return lambda: resources.chat_engine("default")
    if source == LOCAL:
        return _installed_or_hub()
    if source == TUNED:
        run = st.selectbox(_("Tuned run"), list(tuned), format_func=tuned.get, key="chat_tuned_run")
        st.caption(_("Its base model with the run's adapter: tuned to answer with a label, so its other answers show "
                     "what tuning changed."))
        return lambda: resources.tuned_chat_engine(run)
    servers = {e.label: e for e in endpoints.configured()}
    choices = list(servers) + ([OWN_SERVER] if endpoints.custom_allowed() else [])
    if not choices:
        st.info(_("No chat server is configured on this installation."))
        return None
    names = {c: c for c in servers} | {OWN_SERVER: _("Another server, with your own key")}
    pick = st.selectbox(_("Server"), choices, format_func=names.get)
    if pick in servers:
        e = servers[pick]
        st.caption(_("Configured by whoever runs this app; their key is used."))
        return lambda: resources.chat_engine("default", e.url, e.model)
    url = st.text_input(_("Base URL"), placeholder="http://127.0.0.1:8000/v1")
    model = st.text_input(_("Model name"), value="default")
    key = st.text_input(_("API key (if the server needs one)"), type="password", key=state.CHAT_VISITOR_KEY)
    st.caption(_("Your key stays in this browser session and is sent only to the address above."))
    return (lambda: resources.visitor_chat_engine(url.strip(), model, key)) if url.strip() else None


def _tuned_runs() -> dict[str, str]:
    """Finished LoRA-tuned LLM runs, id -> name, newest first."""
    from core.store import JobStatus

    store = resources.store_or_none()
    jobs = [j for j in store.jobs() if j.model == "llm-lora" and j.status == JobStatus.DONE] if store else []
    return {j.id: j.name for j in sorted(jobs, key=lambda j: j.created, reverse=True)}


def _installed_or_hub() -> Callable[[], object] | None:
    """A model from the operator's chat models folder, picked by name, or a Hub id: never a typed path."""
    from core.chat.local import local_models, models_folder

    models = local_models()
    names = {name: name for name in models} | {HUB: _("A model from the Hugging Face Hub (needs internet)")}
    if not models:
        st.caption(md(_("Nothing is installed here yet: whoever runs Tunelab can put .gguf files or model folders "
                        "in {folder} (or point TUNELAB_CHAT_MODELS at another folder).", folder=str(models_folder()))))
    pick = st.selectbox(_("Model"), list(names), format_func=names.get, key="chat_local_model")
    if pick != HUB:
        path = str(models[pick])
        return lambda: resources.chat_engine(path)
    repo = st.text_input(_("Hub model id"), placeholder="HuggingFaceTB/SmolLM2-360M-Instruct")
    return (lambda: resources.hub_chat_engine(repo)) if repo.strip() else None


def history() -> list[dict]:
    messages = state.get(state.CHAT)
    if messages is None:
        messages = []
        state.put(state.CHAT, messages)
    partial = st.session_state.pop(state.CHAT_PARTIAL, None)
    if partial:  # the last answer was interrupted by Stop: keep what had arrived
        messages.append({"role": "assistant", "content": partial + " …", "stats": _("stopped")})
    return messages


def show(message: dict) -> None:
    with st.chat_message(message["role"]):
        if message["role"] == "user":
            st.text(message["content"])  # exactly what was typed; never markup
            if message.get("badge"):
                st.badge(md(message["badge"]), icon=":material/label:")
        else:
            st.markdown(md(message["content"]))  # model text: shown as written, never as links or images
            if message.get("unsupported"):
                _flag(message["unsupported"])
            _told(message.get("told", ""))
            if message.get("stats"):
                st.caption(message["stats"])


def badge_for(text: str, model_dir: str | None) -> str | None:
    if not model_dir:
        return None
    from core.predict import predict_frame

    row = predict_frame(None, [text], model=resources.classifier(model_dir)).iloc[0]
    if labelsets.is_encoded(row["pred"]):  # several labels: the set, in words
        return labelsets.show(row["pred"], _("(none)"))
    return f"{row['pred']} · {row['confidence']:.0%}"


def _flag(unsupported: list[str]) -> None:
    st.warning(_("This number is not in your results: {numbers}.", numbers=md(", ".join(unsupported)))
               if len(unsupported) == 1 else
               _("These numbers are not in your results: {numbers}.", numbers=md(", ".join(unsupported))),
               icon=":material/report:")


def answer(engine, messages: list[dict], question: str, system: str, params: ChatParams, facts=None,
           explain: bool = False, badge: str | None = None, shown: str | None = None) -> None:
    """Answer one question (core.chat.grounded decides who writes it): Tunelab's own sentences from the results
    and the glossary, or the model's words streamed, cut at a loop or the length limit, numbers checked against
    what it was given. The user's message shows `shown` (what they asked), never the prompt behind it."""
    turns = [{"role": m["role"], "content": m["content"]} for m in messages]
    user = {"role": "user", "content": shown or question, "badge": badge}
    messages.append(user)
    show(user)
    plan = grounded.plan(question, turns, facts, engine.small, system, lang(), explain)
    if plan.answer is not None:  # a small model never replaces the facts with its own text
        said = {"role": "assistant", "content": plan.answer, "stats": _(WRITTEN_BY[plan.source], model=engine.label)}
        messages.append(said)
        show(said)
        return
    messages.append(_stream(engine, plan, params, facts.names if facts else ()))


def _stream(engine, plan: grounded.Plan, params: ChatParams, names) -> dict:
    st.session_state[state.CHAT_PARTIAL] = ""

    def pieces():  # escaped piece by piece: write_stream renders Markdown as it goes
        for piece in engine.stream(plan.messages, params, names=tuple(names)):
            st.session_state[state.CHAT_PARTIAL] += piece
            yield md(piece)

    with st.chat_message("assistant"):
        if engine.lock.locked():
            st.caption(_("Another user's answer is being written; yours starts right after."))
        box = st.empty()
        with box:
            st.write_stream(pieces())
        s = engine.last_stats
        text, note = finish(st.session_state.pop(state.CHAT_PARTIAL, ""), s.cut, lang())  # the model's words
        if note:  # cut back to the last full sentence: show what is kept, and why
            box.markdown(md(text))
            st.caption(note)
        stats = _("{model} · {n} tokens · {rate:.1f} tokens/s · first token after {ttft:.2f} s", model=engine.label,
                  n=s.tokens, rate=s.tokens_per_s, ttft=s.ttft_s)
        if s.trimmed_messages:
            stats += " · " + _("{n} old message(s) left out to fit the model's memory", n=s.trimmed_messages)
        st.caption(stats)
        unsupported = unsupported_numbers(text, plan.facts) if plan.facts else []
        if unsupported:
            _flag(unsupported)
        _told(plan.told)
    return {"role": "assistant", "content": text, "stats": stats + (" · " + note if note else ""),
            "unsupported": unsupported, "told": plan.told}


def _told(told: str) -> None:
    """What the model was asked to restate, beside its words: the model is never the only source of a fact."""
    if told:
        with st.expander(_("What Tunelab told the model (check its answer against this)")):
            st.text(told)
