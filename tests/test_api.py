"""The API in-process (Starlette's TestClient, no server process, so in the inner loop), and the batcher's slicing
of a batch's results back to its requests. tests/test_serve.py runs the same API as a real server."""
from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from core.config import TrainConfig
from core.deploy.api import create_app
from core.deploy.serve import load_models, split_batch
from core.train import run_training
from tests.conftest import tiny_frame

KEY = "in-process-key"


def test_split_batch_gives_each_request_its_rows_and_its_cut_texts():
    proba = np.arange(12, dtype=float).reshape(6, 2)  # 6 texts from requests of 1, 3 and 2 texts
    answers = split_batch([1, 3, 2], proba, cut={2, 5})
    assert [a[0].tolist() for a in answers] == [[[0, 1]], [[2, 3], [4, 5], [6, 7]], [[8, 9], [10, 11]]]
    assert [a[1] for a in answers] == [[], [1], [1]]  # positions within each request, not in the batch
    assert split_batch([], np.zeros((0, 2)), set()) == []


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    tiny_frame().to_csv(root / "tiny.csv", index=False)
    run_training(TrainConfig(), root / "tiny.csv", root / "run")
    with TestClient(create_app(load_models([str(root / "run")]), api_key=KEY, data_dir=root / "data")) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c, root


def test_classify_feedback_and_refusals_in_process(client):
    c, root = client
    res = c.post("/v1/classify", json={"texts": ["terrible, it broke", "love it, great"], "explain": True}).json()
    assert [p["label"] for p in res["predictions"]] == ["negative", "positive"]
    assert res["predictions"][0]["explanation"][0]["word"] == "terrible"
    assert c.post("/v1/feedback", json={"text": "meh", "label": "negative"}).json() == {"status": "stored"}
    assert (root / "data" / "feedback" / "feedback.jsonl").read_text(encoding="utf-8").count("\n") == 1
    refused = c.post("/v1/feedback", json={"text": "meh", "label": "nope"})
    assert refused.status_code == 422 and set(refused.json()) == {"error"} and "'nope'" in refused.json()["error"]
    assert c.post("/v1/classify", json={"texts": []}).status_code == 422
    assert c.post("/v1/classify", json={"texts": ["x"]}, headers={"Authorization": "Bearer guess"}).status_code == 401
    assert c.get("/nowhere").json() == {"error": "There is no such endpoint; see /docs."}
