"""transformers backend: Hugging Face checkpoints (a folder, a Hub id, or a GGUF read by transformers)."""
from __future__ import annotations

import threading
from pathlib import Path

from core.chat.base import ChatEngine, ChatParams, Messages
from core.checkpoints import offline_error, pick_device, quiet_transformers, require_hub


class TransformersEngine(ChatEngine):
    """Hugging Face checkpoints (folder or Hub id, or a GGUF read by transformers):
    the tokenizer's chat template, TextIteratorStreamer, bf16 on GPU."""

    backend = "transformers"

    def __init__(self, spec: str, context_window: int | None = None, gguf_file: str | None = None):
        super().__init__()
        import torch  # put off: loads torch (~1.9 s)

        # put off: loads huggingface_hub, transformers (~1.1 s)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        quiet_transformers()
        if gguf_file is None:
            require_hub(spec)
        self.device = pick_device()
        dtype = torch.bfloat16 if self.device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        gguf = {"gguf_file": gguf_file} if gguf_file else {}
        weights = gguf or {"use_safetensors": True}  # never unpickle weights
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(spec, **gguf)
            self.model = AutoModelForCausalLM.from_pretrained(spec, dtype=dtype, **weights).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise offline_error(spec, exc) from exc
        self.context_window = context_window or int(getattr(self.model.config, "max_position_embeddings", 2048))
        self._torch = torch
        self.label = Path(spec).name if gguf_file is None else Path(gguf_file).name
        self.params = sum(p.numel() for p in self.model.parameters())

    @classmethod
    def from_loaded(cls, tokenizer, model, label: str, context_window: int | None = None) -> "TransformersEngine":
        """An engine around a tokenizer and model already in memory (a LoRA-tuned LLM merged into its base)."""
        import torch  # put off: loads torch (~1.9 s)

        engine = cls.__new__(cls)
        ChatEngine.__init__(engine)
        engine.tokenizer, engine.model, engine.label, engine._torch = tokenizer, model.eval(), label, torch
        engine.device = str(next(model.parameters()).device).split(":")[0]
        engine.context_window = context_window or int(getattr(model.config, "max_position_embeddings", 2048))
        engine.params = sum(p.numel() for p in model.parameters())
        return engine

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _pieces(self, messages: Messages, params: ChatParams):
        # put off: loads huggingface_hub, transformers (~1.1 s)
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)
        ids = {k: v.to(self.device) for k, v in ids.items()}
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        halt = threading.Event()

        class Halt(StoppingCriteria):
            def __call__(self, *args, **kwargs):
                return halt.is_set()

        sample = params.temperature > 0
        kwargs = dict(**ids, streamer=streamer, max_new_tokens=params.max_tokens, do_sample=sample,
                      stopping_criteria=StoppingCriteriaList([Halt()]), pad_token_id=self.tokenizer.eos_token_id,
                      repetition_penalty=self.repeat_penalty(params))
        if sample:
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
            self._torch.manual_seed(params.seed)
        worker = threading.Thread(target=self.model.generate, kwargs=kwargs, daemon=True)
        worker.start()
        try:
            yield from streamer
        finally:  # the caller stopped early: tell generate() to stop, then wait for it
            halt.set()
            worker.join(timeout=30)
