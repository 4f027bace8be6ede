"""The three chat backends behind core.chat.ChatEngine."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from core.chat import ChatEngine, ChatParams, Messages, cpu_threads
from core.errors import DataError


class LlamaCppEngine(ChatEngine):
    """GGUF models on llama.cpp: ~68 tokens/s for SmolLM2-135M Q4_1 on 2 cores."""

    backend = "llama.cpp"

    def __init__(self, gguf: str | Path, context_window: int = 4096, threads: int | None = None):
        super().__init__()
        from llama_cpp import Llama

        self.path = str(gguf)
        self.threads = threads or cpu_threads()
        self.llm = Llama(model_path=self.path, n_ctx=context_window, n_threads=self.threads,
                         n_threads_batch=self.threads, verbose=False)
        self.context_window = self.llm.n_ctx()

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _pieces(self, messages: Messages, params: ChatParams):
        stream = self.llm.create_chat_completion(messages=messages, stream=True, temperature=params.temperature,
                                                 top_p=params.top_p, max_tokens=params.max_tokens, seed=params.seed)
        for chunk in stream:
            yield chunk["choices"][0]["delta"].get("content") or ""


class TransformersEngine(ChatEngine):
    """Hugging Face checkpoints (folder or Hub id, or a GGUF read by transformers):
    the tokenizer's chat template, TextIteratorStreamer, bf16 on GPU."""

    backend = "transformers"

    def __init__(self, spec: str, context_window: int | None = None, gguf_file: str | None = None):
        super().__init__()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from core.models import offline_error, pick_device, quiet_transformers, require_hub

        quiet_transformers()
        if gguf_file is None:
            require_hub(spec)
        self.device = pick_device()
        dtype = torch.bfloat16 if self.device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        extra = {"gguf_file": gguf_file} if gguf_file else {}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(spec, **extra)
            self.model = AutoModelForCausalLM.from_pretrained(spec, dtype=dtype, **extra).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise offline_error(spec, exc) from exc
        self.context_window = context_window or int(getattr(self.model.config, "max_position_embeddings", 2048))
        self._torch = torch

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _pieces(self, messages: Messages, params: ChatParams):
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
                      stopping_criteria=StoppingCriteriaList([Halt()]), pad_token_id=self.tokenizer.eos_token_id)
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


class OpenAIEngine(ChatEngine):
    """Any OpenAI-compatible /v1/chat/completions server, streamed over SSE.
    The key, if any, comes from the environment (TUNELAB_API_KEY or OPENAI_API_KEY)."""

    backend = "openai-http"

    def __init__(self, base_url: str, model: str | None, context_window: int = 8192):
        super().__init__()
        base = base_url.rstrip("/")
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model or "default"
        self.context_window = context_window
        self.key = os.environ.get("TUNELAB_API_KEY") or os.environ.get("OPENAI_API_KEY")

    def _pieces(self, messages: Messages, params: ChatParams):
        import requests

        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": params.temperature,
                "top_p": params.top_p, "max_tokens": params.max_tokens, "seed": params.seed}
        try:
            resp = requests.post(self.url, json=body, headers=headers, stream=True, timeout=(5, 120))
        except requests.RequestException as exc:
            raise DataError(f"The chat server at {self.url} could not be reached; check the URL and that it is running.") from exc
        if resp.status_code != 200:
            raise DataError(f"The chat server answered with an error ({resp.status_code}); check the model name and key.")
        with resp:
            for line in resp.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices") or [{}]
                yield (choices[0].get("delta") or {}).get("content") or ""
