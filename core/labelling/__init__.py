"""Starting with no labels: an LLM labels the texts (resumable), a human checks a test sample, the LLM becomes the
teacher run its students are scored beside."""
