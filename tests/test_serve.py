"""`python -m core serve` as a real server on 127.0.0.1: every endpoint, every refusal, the key,
feedback on disk, and 32 parallel requests answered correctly and in order."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from core.config import TrainConfig
from core.contenders.registry import load_classifier
from core.train import run_training
from tests.conftest import local_server, tiny_frame

KEY = "test-key-123"
pytestmark = pytest.mark.slow  # a real server process (and uvicorn workers)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    tiny_frame().to_csv(root / "tiny.csv", index=False)
    runs = [root / "a", root / "b"]
    for run, seed in zip(runs, (1, 2), strict=False):
        run_training(TrainConfig(seed=seed), root / "tiny.csv", run)
    with local_server(["-m", "core", "serve", *map(str, runs), "--api-key-env", "SERVE_KEY", "--data-dir",
                       str(root / "data")], env={"SERVE_KEY": KEY}) as url:
        yield {"url": url, "runs": runs, "data": root / "data", "ids": [r.name for r in runs]}


def post(server, path, body=None, key=KEY, **kw):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(server["url"] + path, json=body, headers=headers, timeout=30, **kw)


def test_health_models_and_docs(server):
    assert requests.get(server["url"] + "/health").json() == {"status": "ok"}
    models = requests.get(server["url"] + "/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()["models"]
    assert [m["id"] for m in models] == server["ids"]
    assert models[0]["classes"] == ["negative", "positive", "question"] and models[0]["kind"] == "baseline"
    trained = json.loads((server["runs"][0] / "metrics.json").read_text(encoding="utf-8"))["test"]["accuracy"]
    assert models[0]["metrics"]["accuracy"] == pytest.approx(trained)  # the run's own test score, not a placeholder
    assert models[0]["name"].startswith("TF-IDF baseline · tiny")
    assert requests.get(server["url"] + "/docs").status_code == 200


def test_classify_in_order_with_probabilities_and_explanations(server):
    texts = ["I love it, wonderful", "terrible, broke at once", "where is my order?"]
    res = post(server, "/v1/classify", {"texts": texts, "model": server["ids"][0], "explain": True})
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["model"] == server["ids"][0] and [p["label"] for p in out["predictions"]] == ["positive", "negative", "question"]
    first = out["predictions"][0]
    assert abs(sum(first["probabilities"].values()) - 1) < 1e-4 and first["confidence"] == max(first["probabilities"].values())
    assert [w["word"] for w in first["explanation"]] == ["I", "love", "it", ",", "wonderful"]
    assert "truncated" not in out


@pytest.mark.parametrize("body,status,words", [
    ("{not json", 422, "not valid JSON"),
    (b'{"texts": ["\xff\xfe"]}', 422, "not valid JSON"),  # not UTF-8
    ("[" * 100_000 + "]" * 100_000, 422, "not valid JSON"),  # nested past the JSON parser's depth limit
    ({"texts": "just a string"}, 422, "'texts'"),
    ({"texts": ["ok", 5]}, 422, "'texts.1'"),
    ({"texts": []}, 422, "at least one text"),
    ({"texts": ["fine", "  "]}, 422, "Text 2 is empty"),
    ({"texts": ["x"] * 257}, 413, "at most 256 texts"),
    ({"texts": ["x"], "model": "nope"}, 404, "No model 'nope'"),
    ({"texts": ["x"]}, 422, "Several models are served"),
])
def test_bad_requests_get_one_sentence_and_the_right_status(server, body, status, words):
    if isinstance(body, (str, bytes)):
        res = requests.post(server["url"] + "/v1/classify", data=body, timeout=30,
                            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    else:
        res = post(server, "/v1/classify", {"model": server["ids"][0], **body} if "model" not in body
                   and words != "Several models are served" else body)
    assert res.status_code == status, res.text
    assert set(res.json()) == {"error"} and words in res.json()["error"] and "Traceback" not in res.text


def test_oversized_body_missing_key_and_unknown_path(server):
    huge = post(server, "/v1/classify", {"texts": ["a" * (6 * 2**20)], "model": server["ids"][0]})
    assert huge.status_code == 413 and "larger than 5 MB" in huge.json()["error"]
    streamed = requests.post(server["url"] + "/v1/classify", data=(b" " * 2**20 for _ in range(6)), timeout=30,
                             headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers  # chunked: the size is only known as it arrives
    assert streamed.status_code == 413 and "larger than 5 MB" in streamed.json()["error"]
    assert post(server, "/v1/classify", {"texts": ["x"]}, key=None).status_code == 401
    wrong = post(server, "/v1/classify", {"texts": ["x"]}, key="guess")
    assert wrong.status_code == 401 and "API key" in wrong.json()["error"]
    missing = requests.get(server["url"] + "/nothing-here")
    assert missing.status_code == 404 and set(missing.json()) == {"error"}


def test_long_texts_are_cut_and_the_response_says_so(server):
    res = post(server, "/v1/classify", {"texts": ["short", "great " * 4000], "model": server["ids"][0]}).json()
    assert res["truncated"] == [1] and "cut" in res["note"]


def test_feedback_is_stored_and_unknown_labels_refused(server):
    ok = post(server, "/v1/feedback", {"text": "meh <b>x</b>", "label": "negative", "model": server["ids"][0]})
    assert ok.status_code == 200 and ok.json() == {"status": "stored"}
    lines = (server["data"] / "feedback" / "feedback.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert (record["text"], record["label"], record["model"], record["source"]) == \
        ("meh <b>x</b>", "negative", server["ids"][0], "api")
    bad = post(server, "/v1/feedback", {"text": "x", "label": "sarcasm", "model": server["ids"][0]})
    assert bad.status_code == 422 and "not one of this model's labels" in bad.json()["error"]


def test_the_cli_lists_the_apis_feedback_for_runs_served_outside_the_app(server, tmp_path):
    import subprocess
    import sys

    import pandas as pd

    from tests.conftest import ROOT

    post(server, "/v1/feedback", {"text": "a, \"quoted\"\nline", "label": "positive", "model": server["ids"][1]})

    def cli(*flags):
        res = subprocess.run([sys.executable, "-m", "core", "feedback", "--data-dir", str(server["data"]), *flags],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return res
    rows = json.loads(cli("--json", "--model", server["ids"][1]).stdout)["feedback"]
    assert [(r["text"], r["label"], r["model"]) for r in rows][-1] == ('a, "quoted"\nline', "positive", server["ids"][1])
    assert all(r["model"] == server["ids"][1] for r in rows)
    cli("--out", str(tmp_path / "fb.csv"))
    table = pd.read_csv(tmp_path / "fb.csv", keep_default_na=False)
    assert list(table.columns) == ["text", "label", "model", "time"] and 'a, "quoted"\nline' in table["text"].tolist()
    assert table["time"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()  # a date, not epoch seconds
    assert len(table) == len(json.loads(cli("--json").stdout)["feedback"]) >= len(rows)  # all models without --model


def test_32_parallel_requests_are_answered_correctly_and_in_order(server):
    texts = [f"{w} number {i}" for i, w in enumerate(["wonderful, love it", "awful, broken", "where is my order?"] * 11)][:32]
    offline = load_classifier(server["runs"][1] / "model").predict(texts)

    def one(i):
        return post(server, "/v1/classify", {"texts": [texts[i], texts[(i + 1) % 32]], "model": server["ids"][1]})

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(one, range(32)))
    assert all(a.status_code == 200 for a in answers)
    for i, a in enumerate(answers):
        assert [p["label"] for p in a.json()["predictions"]] == [offline[i], offline[(i + 1) % 32]]


def test_the_predict_pages_snippets_run_as_shown(server):
    from core.runs import RunFolder
    from ui.code_snippets import snippets

    code = snippets(RunFolder(server["runs"][0]))
    port = server["url"].rsplit(":", 1)[1]
    assert "-m core serve" in code["serve"] and str(server["runs"][0]) in code["serve"]
    curl = code["curl"].replace("8000", port).replace("-H 'Content-Type", f"-H 'Authorization: Bearer {KEY}' -H 'Content-Type")
    out = subprocess.run(["bash", "-c", curl.replace("\\\n", " ")], capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout)["predictions"][0]["label"] in ("negative", "positive", "question")
    python = code["python"].replace("8000", port).replace("json={", f"headers={{'Authorization': 'Bearer {KEY}'}}, json={{")
    printed = subprocess.run([sys.executable, "-c", python], capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split()[0] in ("negative", "positive", "question")


def test_replicas_through_uvicorn_workers(server):
    env = {"TUNELAB_SERVE_RUNS": str(server["runs"][0]), "TUNELAB_DATA_DIR": str(server["data"])}
    with local_server(["-m", "uvicorn", "core.serve_app:app_from_env", "--factory", "--workers", "2",
                       "--host", "127.0.0.1"], env=env) as url:
        answers = [requests.post(url + "/v1/classify", json={"texts": ["I love it"]}, timeout=30) for _ in range(6)]
    assert all(a.status_code == 200 and a.json()["predictions"][0]["label"] == "positive" for a in answers)


def test_a_bad_or_busy_port_is_one_sentence_and_exit_2(server):
    import socket
    import subprocess
    import sys

    from tests.conftest import ROOT

    def serve(*flags):
        return subprocess.run([sys.executable, "-m", "core", "serve", str(server["runs"][0]), *flags], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        res = serve("--port", str(busy.getsockname()[1]))
    assert res.returncode == 2 and res.stderr.startswith("error: Cannot listen on 127.0.0.1:"), res.stderr
    assert "Traceback" not in res.stderr and "pick another --port" in res.stderr
    res = serve("--port", "99999")
    assert res.returncode == 2 and res.stderr.strip() == "error: --port must be between 1 and 65535, not 99999."
    res = serve("--host", "no-such-host.invalid")
    assert res.returncode == 2 and "is not an address this machine knows" in res.stderr
