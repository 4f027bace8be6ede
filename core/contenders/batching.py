"""Tokenise once, batch by length, pad per batch: the shared speed tricks.

Padding every batch to the longest text in the whole set wastes most of the
compute on short texts (SST-2's median is 10 tokens, its max 60+), so both
training and inference group texts of similar length and pad per batch.
"""
from __future__ import annotations

import numpy as np


def tokenize(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated, unpadded (one fast-tokenizer call for all)."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def pad(ids: list[list[int]], pad_id: int, multiple_of: int = 1):
    """Pad a batch to its own longest row; returns (input_ids, attention_mask) tensors."""
    import torch  # put off: loads torch (~1.9 s)

    width = max(len(x) for x in ids)
    width = -(-width // multiple_of) * multiple_of
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return input_ids, mask


def sorted_batches(lengths: list[int], batch_size: int, max_tokens: int | None = None) -> list[np.ndarray]:
    """Inference batches of similar length (longest first, so memory peaks early). With `max_tokens`, a batch
    also ends before its padded size (rows x its longest row) would pass that budget."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    if not max_tokens:
        return [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    batches, start = [], 0
    while start < len(order):
        rows = max(1, min(batch_size, max_tokens // max(1, lengths[order[start]])))
        batches.append(order[start: start + rows])
        start += rows
    return batches


def length_grouped_batches(lengths: list[int], batch_size: int, rng: np.random.Generator,
                           group_factor: int = 50) -> list[np.ndarray]:
    """Training batches: shuffle, cut into mega-batches of `group_factor` batches,
    sort each by length, then shuffle batch order. Batches stay random across the
    epoch but hold texts of similar length (HF's LengthGroupedSampler, same idea).
    A short batch always comes last: Accelerate's BatchSamplerShard assumes only the
    last batch may be short, and drops a pair of batches around a short one elsewhere."""
    order = rng.permutation(len(lengths))
    mega = batch_size * group_factor
    lengths = np.asarray(lengths)
    batches = []
    for start in range(0, len(order), mega):
        chunk = order[start: start + mega]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i: i + batch_size] for i in range(0, len(chunk), batch_size)]
    batches = [batches[i] for i in rng.permutation(len(batches))]
    return [b for b in batches if len(b) == batch_size] + [b for b in batches if len(b) < batch_size]
