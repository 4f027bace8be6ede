"""The one list of contenders: kind -> class, display name, what it needs.

Nothing else in the engine branches on a contender's kind: training, the model
card, the report, the CLI's choices and the pages read these records. Classes
are named as "module:Class" and imported on first use, so reading the registry
never loads torch. Adding a contender is one module plus one `register` line below.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from core.contenders.base import read_meta
from core.errors import DataError
from core.i18n import N_, translator


@dataclass(frozen=True)
class Contender:
    """What the rest of Tunelab needs to know about one kind of classifier."""

    kind: str  # saved in tunelab.json and config.json; never renamed (old runs must load)
    title: str  # a noun that reads after "the": "the TF-IDF baseline is better than ..."
    target: str | type  # "module:Class", or the class itself (a contender registered at run time)
    description: str = ""
    name_pattern: str = ""  # how its runs are named; {checkpoint} is the checkpoint's short name
    choice: str = ""  # its checkbox on the Train page (default: the title)
    always: bool = False  # always trained from the Train page: the bar the others must beat
    settings: tuple[str, ...] = ()  # TrainConfig fields that change this contender (for run names)
    uses_checkpoint: bool = False  # built on a Transformer checkpoint (named in its runs)
    validates: bool = False  # fit() takes eval_set=(texts, labels) and early-stops on it
    hf_format: bool = False  # its model folder loads with transformers' Auto classes
    multi_gpu: bool = False  # runs data-parallel, one process per GPU, under `accelerate launch` when there are several
    uses_llm: bool = False  # built on a generative LLM (TrainConfig.llm, named in its runs)
    tunes_llm: bool = False  # changes the LLM's own weights: needs a local model, not a server
    default_on: bool = True  # ticked on the Train page until the user unticks it
    disk_mb: int = 100  # free disk a run needs (model, predictions, logs); checked before it starts

    def cls(self) -> type:
        """The contender's class (imported here, on first use)."""
        if isinstance(self.target, type):
            return self.target
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)

    def run_title(self, checkpoint_name: str = "", lang: str = "en") -> str:
        """The first part of a run's readable name: "Fine-tuned MiniLM" (in `lang`)."""
        return translator(lang)(self.name_pattern or self.title[:1].upper() + self.title[1:], checkpoint=checkpoint_name)

    def build(self, config):
        """An unfitted contender for a TrainConfig."""
        return self.cls().from_config(config)


_REGISTRY: dict[str, Contender] = {}


def register(spec: Contender) -> Contender:
    """Add (or replace) a contender; returns it, so a module can register itself."""
    _REGISTRY[spec.kind] = spec
    return spec


def unregister(kind: str) -> None:
    _REGISTRY.pop(kind, None)


def kinds() -> tuple[str, ...]:
    """Registered kinds, in registration order (the order pages list them)."""
    return tuple(_REGISTRY)


def get(kind: str) -> Contender:
    """The record of `kind`, or one plain sentence naming the kinds there are."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise DataError("Unknown model '{kind}'; choose one of: {kinds}.", kind=kind, kinds=", ".join(_REGISTRY)) from None


def all_specs() -> list[Contender]:
    return list(_REGISTRY.values())


def load_classifier(path: str | Path):
    """Load any saved contender from its model folder, dispatching on the kind it recorded."""
    meta = read_meta(path)
    kind = meta["kind"]
    if kind not in _REGISTRY:
        raise DataError("'{path}' holds a model of unknown kind '{kind}'.", path=path, kind=kind)
    model = _REGISTRY[kind].cls().load(path)
    model.restore_decisions(meta)
    return model


_FIT = ("seed", "val_fraction", "test_fraction", "max_rows")
# Titles, descriptions, name patterns and choices are English message ids (core.i18n): pages translate them.
register(Contender("baseline", N_("TF-IDF baseline"), "core.contenders.baseline:TfidfClassifier",
                   N_("Word and character n-grams with logistic regression: seconds to train, the bar to beat."),
                   settings=("C", *_FIT), name_pattern=N_("TF-IDF baseline"), always=True, disk_mb=200))
register(Contender("embeddings", N_("embeddings model"), "core.contenders.embeddings:EmbeddingClassifier",
                   N_("Frozen sentence embeddings with logistic regression: strong with few labels."),
                   settings=("C", *_FIT), name_pattern=N_("{checkpoint} embeddings"),
                   choice=N_("Sentence embeddings + logistic regression"), uses_checkpoint=True,
                   multi_gpu=True, disk_mb=50))
register(Contender("finetune", N_("fine-tuned Transformer"), "core.contenders.finetune:FineTuneClassifier",
                   N_("All weights of a Transformer trained on your labels: usually the most accurate, and the slowest."),
                   settings=("epochs", "batch_size", "max_length", "lr", "grad_accum", "eval_every", "patience",
                             "max_steps", *_FIT),
                   name_pattern=N_("Fine-tuned {checkpoint}"), uses_checkpoint=True, validates=True, hf_format=True,
                   multi_gpu=True, disk_mb=600))  # MiniLM saves ~90 MB; multilingual-e5-small ~470 MB
register(Contender("setfit", N_("SetFit model"), "core.contenders.few_shot:SetFitClassifier",
                   N_("Sentence embeddings tuned on pairs of your texts, then a logistic regression: the strongest "
                      "choice with about 8 to 50 labelled texts per class."),
                   settings=("max_steps", "batch_size", "lr", "C", *_FIT), name_pattern=N_("SetFit {checkpoint}"),
                   choice=N_("SetFit (few labels)"), uses_checkpoint=True, default_on=False,
                   disk_mb=300))  # the tuned body (MiniLM ~90 MB) and a head of a few KB
register(Contender("llm", N_("prompted LLM"), "core.contenders.llm:LLMClassifier",
                   N_("A generative language model picks a label after a few examples from your training rows; "
                      "nothing is trained. The embedded SmolLM2-135M is too small to classify well: it shows how an "
                      "LLM compares; a stronger model in the chat-models folder, or an LLM server, shows what one can "
                      "do."),
                   settings=("shots", "seed", "max_rows"), name_pattern=N_("Prompted {checkpoint}"),
                   choice=N_("Prompted LLM (few-shot)"), uses_llm=True, validates=True,
                   default_on=False, disk_mb=10))  # saves the prompt's makings as JSON, never the weights
register(Contender("llm-lora", N_("LoRA-tuned LLM"), "core.contenders.llm_lora:LoRALLMClassifier",
                   N_("The same language model and prompt, with small adapters (LoRA) trained on every training row: "
                      "whether tuning beats asking. Slow on a CPU: minutes for a few hundred rows with the embedded "
                      "model."),
                   settings=("epochs", "batch_size", "lr", "max_length", "max_steps", *_FIT),
                   name_pattern=N_("LoRA-tuned {checkpoint}"), choice=N_("LoRA-tuned LLM"), uses_llm=True,
                   tunes_llm=True, validates=True, multi_gpu=True, default_on=False, disk_mb=50))  # the adapter: ~2 MB for SmolLM2
