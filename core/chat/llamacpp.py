"""llama.cpp backend: GGUF files, the fastest path on a CPU."""
from __future__ import annotations

from pathlib import Path

from core.chat.base import ChatEngine, ChatParams, Messages, cpu_threads


def without_extra_buffers() -> None:
    """Load models without llama.cpp's "extra" CPU buffer types (AMX, repacked weights). A native build on a CPU
    that advertises AMX uses it, and some virtual machines advertise AMX without running it: the first matrix
    product dies with SIGILL (`tilezero`, seen on this project's CI machine). Without them SmolLM2-135M Q4_1 ran
    at 74 tokens/s on 2 cores, as fast as before (~68; Q4_1 is not repacked). llama-cpp-python 0.3.36 has no
    argument for it, so its default model parameters are wrapped once per process."""
    import llama_cpp.llama as module  # put off: loads llama_cpp (~0.2 s)

    defaults = module.llama_cpp.llama_model_default_params
    if getattr(defaults, "tunelab", False):
        return

    def params():
        p = defaults()
        p.use_extra_bufts = False
        return p

    params.tunelab = True
    module.llama_cpp.llama_model_default_params = params


class LlamaCppEngine(ChatEngine):
    """GGUF models on llama.cpp: ~68 tokens/s for SmolLM2-135M Q4_1 on 2 cores."""

    backend = "llama.cpp"

    def __init__(self, gguf: str | Path, context_window: int = 4096, threads: int | None = None):
        super().__init__()
        from llama_cpp import Llama  # put off: loads llama_cpp (~0.2 s)

        without_extra_buffers()
        self.path = str(gguf)
        self.threads = threads or cpu_threads()
        self.llm = Llama(model_path=self.path, n_ctx=context_window, n_threads=self.threads,
                         n_threads_batch=self.threads, verbose=False)
        self.context_window = self.llm.n_ctx()
        self.label = Path(self.path).name
        # read from the GGUF (no public accessor in 0.3.36): decides whether its answers can be relied on
        self.params = int(self.llm._model.n_params())

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _pieces(self, messages: Messages, params: ChatParams):
        stream = self.llm.create_chat_completion(messages=messages, stream=True, temperature=params.temperature,
                                                 top_p=params.top_p, max_tokens=params.max_tokens, seed=params.seed,
                                                 repeat_penalty=self.repeat_penalty(params))
        for chunk in stream:
            yield chunk["choices"][0]["delta"].get("content") or ""
