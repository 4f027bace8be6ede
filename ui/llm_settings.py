"""The Train page's settings for the LLM contenders: which model (by name, never a typed path), how many examples,
the task and what each label means; a server the operator configured, or one the visitor types with their own key."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.chat import endpoints
from core.chat.local import local_models, models_folder
from core.glossary import help_text
from ui.i18n import _, lang

TYPED = "\u2063typed"  # the choice "a server I give the address of" (a name no model file can have)


@dataclass(frozen=True)
class LLMSettings:
    llm: str = "default"
    shots: int = 4
    task: str = ""
    descriptions: str = ""
    api_key: str | None = None  # a visitor's own key for the server they typed: goes to the job runner's memory only
    tuned_llm: str = "default"  # the LoRA-tuned LLM's model: a local one (a server shares no weights to tune)

    def config(self, tunes: bool = False) -> dict:
        """The TrainConfig fields for a contender (`tunes`: the LoRA one); the key is not one: a run never holds a key."""
        return {"llm": self.tuned_llm if tunes else self.llm, "shots": self.shots, "task": self.task,
                "descriptions": self.descriptions}


def llm_choice(prompted: bool = True, tuned: bool = False, examples: bool = True) -> LLMSettings:
    """The settings of the ticked LLM contenders: the prompted one may ask a server; the LoRA one tunes a local model,
    the prompted one's when that is local (the ladder zero-shot -> few-shot -> LoRA is then one model).
    `examples=False`: no training rows to take examples from (an LLM labelling texts that have no label yet)."""
    local = ["default", *local_models()]
    names = local + [endpoints.PREFIX + e.label for e in endpoints.configured()]
    names += [TYPED] if endpoints.custom_allowed() else []
    c1, c2 = st.columns([3, 1]) if examples else (st.container(), None)
    llm = c1.selectbox(_("Language model for the prompted LLM") if examples else _("Language model that labels"),
                       names if prompted else local, format_func=_name)
    shots = c2.number_input(_("Examples per label"), 0, 32, 4, help=help_text("few_shot", lang()),
                            disabled=not prompted) if examples else 0
    tuned_llm = llm
    if tuned and llm not in local:
        tuned_llm = st.selectbox(_("Language model to tune (LoRA needs a model's own weights, not a server)"), local,
                                 format_func=_name)
    key = None
    if llm == TYPED:
        u1, u2, u3 = st.columns([3, 2, 2])
        url = u1.text_input(_("Server address (OpenAI-compatible)"), placeholder="http://127.0.0.1:8000/v1")
        model = u2.text_input(_("Model name on the server"), placeholder="default")
        key = u3.text_input(_("Your API key (optional)"), type="password",
                            help=_("Sent only to the address you typed, kept only while this page is open; never "
                                   "saved with the run.")) or None
        llm = f"{url.strip()}|{model.strip()}" if url.strip() else "default"
    task = st.text_input(_("The task, in one sentence (optional)"), max_chars=300,
                         placeholder=_("Sort support tickets by the team that should answer them"))
    descriptions = st.text_area(_("What each label means (optional), a line per label"), max_chars=5000, height=80,
                                placeholder=_("billing: charges, refunds and invoices\nshipping: where an order is"))
    if "default" in (llm, tuned_llm):
        st.caption(_("The embedded model has 135 million parameters: enough to show how a prompted LLM compares, too "
                     "few to classify well. A stronger model (a GGUF file or a model folder) put in the chat-models "
                     "folder {folder} appears in this list.", folder=str(models_folder())))
    if endpoints.is_endpoint(llm):
        st.caption(_("A server is asked for each text's label: its log-probabilities where it gives them, else its "
                     "answer in words."))
    return LLMSettings(llm, int(shots), task, descriptions, key, tuned_llm)


def _name(choice: str) -> str:
    if choice == "default":
        return _("Embedded SmolLM2-135M (too small to classify well)")
    if choice == TYPED:
        return _("A server I give the address of")
    if choice.startswith(endpoints.PREFIX):
        return _("Server: {label}", label=choice[len(endpoints.PREFIX):])
    return choice
