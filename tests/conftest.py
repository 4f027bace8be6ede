"""Shared fixtures: tiny real datasets, the shared real datasets when present, a temp data dir."""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO = ROOT / "assets" / "demo_tickets.csv"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# models converted once (the multilingual checkpoint: ~20 s; SmolLM2 dequantised: ~10 s) are shared by the tests'
# temporary data directories instead of converted again in each
os.environ.setdefault("TUNELAB_MODELS_DIR", str(Path(tempfile.gettempdir()) / "tunelab-test-models"))


def shared(name: str) -> Path:
    """A file under ../shared/data, or skip the test cleanly where it is absent (a user's fresh clone)."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"../shared/data/{name} is not present")
    return path


def tiny_frame() -> pd.DataFrame:
    """72 rows (24 a class), 3 easy classes: enough for a real fit in seconds."""
    pos = ["I love this, it is wonderful", "great product, works perfectly", "absolutely fantastic service",
           "really happy with it", "best purchase ever", "excellent and fast", "superb quality", "so good, thanks"]
    neg = ["terrible, it broke at once", "awful service, never again", "this is the worst", "very bad quality",
           "I hate it, refund please", "broken and useless", "horrible experience", "disappointing and slow"]
    q = ["where is my order?", "how do I reset my password?", "what time do you open?", "can I change my address?",
         "do you ship abroad?", "is there a student discount?", "which size should I buy?", "how long is delivery?"]
    rows = [(t + s, y) for y, ts in (("positive", pos), ("negative", neg), ("question", q))
            for t in ts for s in ("", " !")]
    rows += [(t + " really", y) for y, ts in (("positive", pos), ("negative", neg), ("question", q)) for t in ts]
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.fixture
def tiny_df() -> pd.DataFrame:
    return tiny_frame()


@pytest.fixture
def tiny_csv(tmp_path, tiny_df) -> Path:
    path = tmp_path / "tiny.csv"
    tiny_df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def finetuned_run(tmp_path_factory) -> Path:
    """One tiny real fine-tune per session (~15 s) for the export tests; each module copies it (copy_run), so
    one module's exports never change what another's find."""
    from core.config import TrainConfig
    from core.train import run_training

    root = tmp_path_factory.mktemp("finetuned")
    tiny_frame().to_csv(root / "tiny.csv", index=False)
    run_training(TrainConfig(model="finetune", epochs=3, batch_size=8, lr=1e-4, max_length=32, test_fraction=0.3),
                 root / "tiny.csv", root / "run")
    return root / "run"


def copy_run(run: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(run, target)
    return target


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "tunelab-data"
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(d))
    return d


@contextmanager
def local_server(args: list[str], env: dict | None = None, health: str = "/health", start_s: float = 60,
                 port_flag: str = "--port"):
    """Run `python ARGS --port P` (P free, on 127.0.0.1) until it answers `health`; yield its URL; stop it."""
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, *args, port_flag, str(port)], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + start_s
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + health, timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
