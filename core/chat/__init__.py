"""Chat with a generative model. `base` is the engine interface (it imports no backend),
one module per backend (`llamacpp`, `hf`, `openai_http`), `trim` fits a conversation
into a context window, and `loader.load_engine` picks the backend. This file imports
nothing, so importing any one of them never loads another."""
