"""Run configuration: one frozen dataclass, saved as config.json beside every run.

Each field carries its help text, so the CLI's `train` options are made from the
fields (`core.cli`) and the two cannot drift apart.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from core.chat.endpoints import is_endpoint
from core.contenders import registry
from core.errors import DataError


def _opt(default, help: str):
    return field(default=default, metadata={"help": help})


MULTI_LABEL = {"auto": None, "yes": True, "no": False}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Options that do not apply to the
    chosen contender (epochs for the baseline, say) are kept and ignored."""

    model: str = _opt("baseline", "contender to train")
    checkpoint: str = _opt("default", "Transformer checkpoint: 'default' (embedded MiniLM, English), 'multilingual' "
                                      "(embedded multilingual-e5-small, ~100 languages), a folder or a Hub id")
    text_col: str | None = _opt(None, "column holding the text (default: guessed)")
    label_col: str | None = _opt(None, "column holding the label (default: guessed)")
    multi_label: str = _opt("auto", "texts with several labels: 'yes', 'no' or 'auto' (found from the label column: "
                                    "'a;b' cells, JSON lists, one 0/1 column per label)")
    epochs: int = _opt(3, "passes over the training rows (fine-tune)")
    batch_size: int = _opt(16, "texts per training step (fine-tune)")
    max_length: int = _opt(128, "tokens kept per text; longer texts are cut")
    lr: float = _opt(5e-5, "learning rate (fine-tune)")
    grad_accum: int = _opt(1, "steps whose gradients are summed before each update (fine-tune)")
    eval_every: int = _opt(0, "validate every N steps; 0 = at the end of each epoch (fine-tune)")
    patience: int = _opt(2, "validations without a better macro-F1 before stopping early (fine-tune)")
    max_steps: int = _opt(0, "stop after N optimizer steps; 0 = no cap (fine-tune)")
    max_rows: int | None = _opt(None, "use a seeded random sample of at most N rows")
    val_fraction: float = _opt(0.1, "share of rows held out for validation (below 0.5)")
    test_fraction: float = _opt(0.1, "share of rows held out for the final test (below 0.5)")
    seed: int = _opt(42, "random seed for the split, the sampling and the training")
    C: float | None = _opt(None, "inverse regularisation strength of the linear contenders (default: each one's own)")
    llm: str = _opt("default", "the prompted LLM (model llm): 'default' (the embedded SmolLM2-135M, too small to "
                                "classify well), a name in the chat-models folder, a .gguf file, a folder, a Hub id, "
                                "'endpoint:LABEL' (a server in TUNELAB_CHAT_ENDPOINTS) or 'http://host/v1|model'")
    shots: int = _opt(4, "examples per label in the LLM's prompt, picked from the training rows (0 = zero-shot)")
    task: str = _opt("", "what the LLM is told the task is, in one sentence (default: 'Classify the text.')")
    descriptions: str = _opt("", "what each label means, for the LLM: one line per label, 'label: description'")
    requests: int = _opt(8, "requests sent to an LLM server at once (model llm on an endpoint); it batches them")
    name: str = _opt("", "a readable name for the run (default: made from what it is)")
    dataset_id: str | None = _opt(None, "the dataset (`python -m core dataset list`) whose version the file is: the "
                                        "run keeps the test rows chosen at v1, so versions compare on the same texts")
    dataset_version: int | None = _opt(None, "the version of --dataset-id the file holds")

    def __post_init__(self):
        spec = registry.get(self.model)  # one sentence naming the known kinds if it is not one
        if self.multi_label not in MULTI_LABEL:
            raise DataError("--multi-label takes 'yes', 'no' or 'auto', not '{value}'.", value=self.multi_label)
        if spec.tunes_llm and is_endpoint(str(self.llm)):
            raise DataError("LoRA tunes a model's own weights, which a server does not share; pick a local model for "
                            "the LoRA-tuned LLM (a server can be the prompted LLM).")
        for name in ("epochs", "batch_size", "max_length", "grad_accum"):
            if getattr(self, name) < 1:
                raise DataError("--{option} must be at least 1.", option=name.replace("_", "-"))
        if not (0 < self.lr < 1):
            raise DataError("--lr must be between 0 and 1 (for example 5e-5).")
        if not (0 <= self.val_fraction < 0.5 and 0 <= self.test_fraction < 0.5):
            raise DataError("Validation and test fractions must each be below 0.5.")
        if self.C is not None and self.C <= 0:
            raise DataError("--C must be above 0 (for example 4).")
        if not 0 <= self.shots <= 32:
            raise DataError("--shots must be between 0 and 32 examples per label.")
        if not 1 <= self.requests <= 256:
            raise DataError("--requests must be between 1 and 256 requests at once.")
        if len(self.descriptions) > 5000:
            raise DataError("--descriptions must be at most 5,000 characters: a line per label.")
        if len(self.task) > 1000:
            raise DataError("--task must be at most 1,000 characters: one or two sentences.")
        if self.max_rows is not None and self.max_rows < 2:
            raise DataError("--max-rows must be at least 2.")
        if (self.dataset_id is None) != (self.dataset_version is None) or (self.dataset_version or 1) < 1:
            raise DataError("--dataset-id and --dataset-version go together (a version is 1 or more).")

    def several_labels(self) -> bool | None:
        """`multi_label` as core.data.cleaning.load_dataset takes it: True, False or None (find out)."""
        return MULTI_LABEL[self.multi_label]

    def data_version(self) -> dict | None:
        """{"dataset_id", "version"} when the run trains on a dataset version, else None."""
        return {"dataset_id": self.dataset_id, "version": self.dataset_version} if self.dataset_id else None

    def recipe(self) -> dict:
        """What to train, without the name or the data: two runs with one recipe differ only in what they saw."""
        return {k: v for k, v in self.to_dict().items() if k not in ("name", "dataset_id", "dataset_version")}

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def with_(self, **changes) -> "TrainConfig":
        return replace(self, **changes)

    def changed(self) -> dict:
        """The fields whose values differ from the defaults."""
        default = TrainConfig(model=self.model)
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)}

    def build(self):
        """The contender this config describes, unfitted."""
        return registry.get(self.model).build(self)
