"""Chat with a LoRA-tuned LLM from a finished run: its base model (by the run's reference) with the run's adapter
merged in, through the transformers backend. The tuned model learned to answer with a label, so it is also a way to
see what tuning did to the model's other answers."""
from __future__ import annotations

from pathlib import Path

from core.chat.hf import TransformersEngine
from core.contenders.base import read_meta
from core.errors import DataError


def load_tuned(model_dir: str | Path) -> TransformersEngine:
    """The chat engine of a saved LoRA-tuned LLM run (`model_dir`: the run's model folder)."""
    from peft import PeftModel  # put off: loads peft (with transformers, ~1.5 s)

    from core.contenders.llm_models import load_llm_fresh, require_model  # put off: loads numpy and the LLM loaders

    meta = read_meta(model_dir)
    adapter = Path(model_dir) / "adapter"
    if meta.get("kind") != "llm-lora" or not adapter.is_dir():
        raise DataError("That run is not a LoRA-tuned LLM; pick one trained with the LoRA-tuned LLM contender.")
    spec = meta["params"]["llm"]
    require_model(spec, meta["reference"])
    tokenizer, base, _ = load_llm_fresh(spec)
    merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    return TransformersEngine.from_loaded(tokenizer, merged, f"{meta['reference'].get('name', spec)} + LoRA")
