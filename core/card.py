"""The model card (README.md) saved inside every trained model folder."""
from __future__ import annotations

from pathlib import Path

from core.checkpoints import DEFAULT_CLASSIFIER, EMBEDDED_CLASSIFIER_NAME, MULTILINGUAL_NAMES
from core.config import TrainConfig
from core.contenders import registry


def checkpoint_id(checkpoint: str) -> str:
    """The checkpoint as a reader can look it up: 'default' is the embedded all-MiniLM-L6-v2."""
    if checkpoint in (None, "", DEFAULT_CLASSIFIER):
        return EMBEDDED_CLASSIFIER_NAME
    return "intfloat/multilingual-e5-small" if checkpoint in MULTILINGUAL_NAMES else checkpoint


def write_model_card(model_dir: Path, config: TrainConfig, metrics: dict) -> None:
    """Write README.md: what the model is, what it was trained on, how well it does, its limits."""
    ev, rows, spec = metrics["test"], metrics["rows"], registry.get(config.model)
    lo, hi = ev["ci"]["accuracy"]
    lines = [
        "---", "library_name: " + ("transformers" if spec.hf_format else "tunelab"),
        "pipeline_tag: text-classification", "tags: [tunelab, text-classification]", "---", "",
        f"# {metrics.get('name') or config.model}: a {spec.title} text classifier", "",
        *([spec.description, ""] if spec.description else []),
        f"Trained with Tunelab on {rows['train']} labelled texts ({rows['val']} for validation), "
        f"scored on {rows['test']} held-out texts it never saw.", "",
        "## Results on the held-out test split", "",
        *(_sets_lines(ev) if ev.get("multi") else [f"- Accuracy: **{ev['accuracy']:.3f}** (95% CI {lo:.3f} to {hi:.3f})"]),
        f"- Macro-F1: **{ev['macro_f1']:.3f}**; weighted F1 {ev['weighted_f1']:.3f}",
        f"- Calibration error (ECE): {ev['calibration']['ece']:.3f}", "",
        "| class | precision | recall | F1 | support |", "|---|---|---|---|---|",
        *[f"| {c['label']} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |" for c in ev["per_class"]],
        "", "## Training", "",
        f"- Contender: `{config.model}`" + (f", checkpoint `{checkpoint_id(config.checkpoint)}`"
                                            if spec.uses_checkpoint else "")
        + (f", LLM `{config.llm}` prompted with {config.shots} example(s) per label" if spec.uses_llm else ""),
        f"- Seed {config.seed}; training took {metrics['train_seconds']} s",
        "- Full configuration: `config.json` beside this folder's parent run.", "",
        "## Limitations", "",
        "- It only knows the classes above; every text gets one of them, even text about something else.",
        "- It reflects the labelled data it was trained on, including its mistakes and biases.",
        "- Check the confusion matrix in Tunelab before trusting it on the most confused classes.", "",
    ]
    if spec.hf_format:
        lines += ["## Use", "", "```python", "from transformers import pipeline",
                  "clf = pipeline('text-classification', model='PATH/TO/THIS/FOLDER')", "clf('your text')", "```", ""]
    (model_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


def _sets_lines(ev: dict) -> list[str]:
    """Texts with several labels: micro-F1, exact match, Hamming loss, and the thresholds the model decides with
    (the folder loads in `transformers.pipeline(..., top_k=None)` with sigmoid scores; apply these to them)."""
    m, (lo, hi) = ev["multi"], ev["ci"]["micro_f1"]
    return [f"- Several labels a text: micro-F1 **{m['micro_f1']:.3f}** (95% CI {lo:.3f} to {hi:.3f}); every label "
            f"right on {ev['accuracy']:.1%} of texts; Hamming loss {m['hamming_loss']:.4f}",
            "- Thresholds (a label is given at or above its own): "
            + ", ".join(f"{k} {v:.2f}" for k, v in m["thresholds"].items())]

