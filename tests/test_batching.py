"""Length-grouped batches, and the fine-tune under a real 2-process distributed launch
(torchrun on CPU sets up the same process group `accelerate launch` does on GPUs)."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from core.contenders.batching import length_grouped_batches, sorted_batches
from tests.conftest import ROOT


def test_length_grouped_batches_cover_everything_once_with_the_short_batch_last():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 60, 1003).tolist()
    for epoch in range(5):  # the short batch must be last whatever the shuffle
        batches = length_grouped_batches(lengths, 16, np.random.default_rng(epoch), group_factor=4)
        assert sorted(np.concatenate(batches).tolist()) == list(range(1003))
        assert [len(b) for b in batches[:-1]] == [16] * (len(batches) - 1) and len(batches[-1]) == 1003 % 16
    spread = np.mean([np.ptp(np.asarray(lengths)[b]) for b in batches])
    assert spread < 20  # texts in a batch have similar lengths (random batches spread ~55)


@pytest.mark.slow
def test_finetune_under_a_two_process_launch(tmp_path, tiny_csv):
    out = tmp_path / "run"
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "core", "train",
                          str(tiny_csv), "--out", str(out), "--model", "finetune", "--epochs", "3", "--batch-size", "7",
                          "--max-length", "32"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    events = [json.loads(line) for line in (out / "progress.jsonl").read_text().splitlines()]
    start = next(e for e in events if e["event"] == "start")
    # batches are sharded, not repeated; 7 does not divide the rows, so each epoch has a short batch
    per_rank = math.ceil(math.ceil(start["train_rows"] / 7) / 2)
    assert start["total_steps"] == 3 * per_rank and start["train_rows"] % 7
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps[-1] == start["total_steps"] and len(steps) == len(set(steps))  # only rank 0 writes
    assert len([e for e in events if e["event"] == "eval"]) == 3 and events[-1]["status"] == "done"
    assert (out / "model" / "model.safetensors").is_file()


def test_a_token_budget_cuts_mixed_lengths_into_smaller_sorted_batches():
    lengths = [60, 10, 50, 12, 8, 55, 9, 11]
    plain = sorted_batches(lengths, 32)
    assert [list(b) for b in plain] == [[0, 5, 2, 3, 7, 1, 6, 4]]  # one batch, padded to 60 for all 8 rows
    budget = sorted_batches(lengths, 32, max_tokens=128)
    assert [list(b) for b in budget] == [[0, 5], [2, 3], [7, 1, 6, 4]]  # 2x60, 2x50, then 4x11 padded tokens
    assert all(len(b) * max(lengths[i] for i in b) <= 128 for b in budget)
    assert sorted(i for b in budget for i in b) == list(range(8))
    assert [len(b) for b in sorted_batches([500, 400], 32, max_tokens=128)] == [1, 1]  # a row longer than the budget
