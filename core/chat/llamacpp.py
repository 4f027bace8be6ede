"""llama.cpp backend: GGUF files, the fastest path on a CPU."""
from __future__ import annotations

from pathlib import Path

from core.chat.base import ChatEngine, ChatParams, Messages, cpu_threads


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
