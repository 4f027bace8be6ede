"""Run configuration: one frozen dataclass, saved as config.json beside every run."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from core.errors import DataError

CONTENDERS = ("baseline", "embeddings", "finetune")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Options that do not apply to the
    chosen contender (epochs for the baseline, say) are kept and ignored."""

    model: str = "baseline"
    checkpoint: str = "default"
    text_col: str | None = None
    label_col: str | None = None
    epochs: int = 3
    batch_size: int = 16
    max_length: int = 128
    lr: float = 5e-5
    grad_accum: int = 1
    eval_every: int = 0
    patience: int = 2
    max_steps: int = 0
    max_rows: int | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 42
    C: float | None = None  # regularisation of the linear contenders; None = each one's default
    name: str = ""

    def __post_init__(self):
        if self.model not in CONTENDERS:
            raise DataError(f"Unknown model '{self.model}'; choose one of: {', '.join(CONTENDERS)}.")
        for name in ("epochs", "batch_size", "max_length", "grad_accum"):
            if getattr(self, name) < 1:
                raise DataError(f"--{name.replace('_', '-')} must be at least 1.")
        if not (0 < self.lr < 1):
            raise DataError("--lr must be between 0 and 1 (for example 5e-5).")
        if not (0 <= self.val_fraction < 0.5 and 0 <= self.test_fraction < 0.5):
            raise DataError("Validation and test fractions must each be below 0.5.")

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

    def build(self):
        """The contender this config describes, unfitted."""
        if self.model == "baseline":
            from core.baseline import TfidfClassifier

            return TfidfClassifier(C=self.C or 4.0, seed=self.seed)
        if self.model == "embeddings":
            from core.embeddings import EmbeddingClassifier

            return EmbeddingClassifier(checkpoint=self.checkpoint, C=self.C or 10.0, seed=self.seed,
                                       max_length=max(self.max_length, 128))
        from core.finetune import FineTuneClassifier

        return FineTuneClassifier(checkpoint=self.checkpoint, epochs=self.epochs, batch_size=self.batch_size,
                                  max_length=self.max_length, lr=self.lr, grad_accum=self.grad_accum,
                                  eval_every=self.eval_every,
                                  patience=self.patience, max_steps=self.max_steps, seed=self.seed)
