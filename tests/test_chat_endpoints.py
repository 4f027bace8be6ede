"""The operator's API key goes only to endpoints the operator configured; a typed URL gets
only the visitor's own key; another server's words are never echoed. A real HTTP listener on
127.0.0.1 records what arrives."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from streamlit.testing.v1 import AppTest

from core.chat.base import ChatParams
from core.chat.loader import load_engine
from core.errors import DataError
from tests.conftest import ROOT

ASK = [{"role": "user", "content": "hi"}]


class Listener(BaseHTTPRequestHandler):
    seen: list[dict] = []
    status = 200
    pieces = ("Hello", " there")

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append({"auth": self.headers.get("Authorization"), "body": json.loads(body)})
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            self.wfile.write(b"SECRET-SERVER-DETAILS: internal stack trace")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in type(self).pieces:
            self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener(monkeypatch):
    Listener.seen, Listener.status, Listener.pieces = [], 200, ("Hello", " there")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("TUNELAB_API_KEY", "operator-secret")
    monkeypatch.delenv("TUNELAB_CHAT_ENDPOINTS", raising=False)
    monkeypatch.delenv("TUNELAB_CUSTOM_ENDPOINTS", raising=False)
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_a_typed_url_never_gets_the_operators_key(listener):
    assert load_engine(endpoint=listener).complete(ASK, ChatParams(max_tokens=8)) == "Hello there"
    assert Listener.seen[-1]["auth"] is None
    load_engine(endpoint=listener, api_key="visitor-own").complete(ASK)
    assert Listener.seen[-1]["auth"] == "Bearer visitor-own"


def test_a_configured_endpoint_gets_the_operators_key(listener, monkeypatch):
    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", f"Our server={listener}/|served-model")
    load_engine(endpoint=listener + "/", endpoint_model="served-model").complete(ASK)
    assert Listener.seen[-1]["auth"] == "Bearer operator-secret"
    assert Listener.seen[-1]["body"]["model"] == "served-model"


def test_typed_urls_can_be_switched_off(listener, monkeypatch):
    monkeypatch.setenv("TUNELAB_CUSTOM_ENDPOINTS", "0")
    with pytest.raises(DataError, match="only talks to the chat servers its operator configured"):
        load_engine(endpoint=listener)
    with pytest.raises(DataError, match="http:// or https://"):
        monkeypatch.setenv("TUNELAB_CUSTOM_ENDPOINTS", "1")
        load_engine(endpoint="file:///etc/passwd")
    assert not Listener.seen


def test_another_servers_error_text_is_never_echoed(listener):
    Listener.status = 500
    with pytest.raises(DataError) as err:
        load_engine(endpoint=listener).complete(ASK)
    assert "HTTP 500" in str(err.value) and "SECRET" not in str(err.value)


@pytest.mark.usefixtures("data_dir")
def test_chat_page_sends_no_operator_key_to_a_typed_url(listener):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/chat.py").run()
    at.radio[0].set_value("server").run()
    at.text_input[0].input(listener).run()
    at.chat_input[0].set_value("hello?").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert Listener.seen and Listener.seen[-1]["auth"] is None
    assistant = [m for m in at.chat_message if m.name == "assistant"]
    assert "Hello there" in assistant[0].markdown[0].value


@pytest.mark.usefixtures("data_dir")
def test_model_output_with_markdown_is_shown_as_text(listener):
    Listener.pieces = ("See ", "![x](http://127.0.0.1:9/x.png)", " and [this](http://127.0.0.1:9/y)")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/chat.py").run()
    at.radio[0].set_value("server").run()
    at.text_input[0].input(listener).run()
    at.chat_input[0].set_value("show me a picture").run()
    answer = [m for m in at.chat_message if m.name == "assistant"][0].markdown[0].value
    assert r"x\.png" in answer and "![" not in answer and "](" not in answer


@pytest.mark.slow
def test_explain_my_results_marks_a_number_that_is_not_in_the_results(listener, data_dir, tiny_csv):
    from core.config import TrainConfig
    from core.jobs import JobRunner
    from core.store import Store
    from tests.test_pages import finish

    runner = JobRunner(Store(data_dir))
    runner.submit(TrainConfig(), tiny_csv)
    finish(runner)
    Listener.pieces = ("The baseline is right ", "97.3% of the time.")  # a scripted model that invents a figure
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/chat.py").run()
    at.radio[0].set_value("server").run()
    at.text_input[0].input(listener).run()
    next(b for b in at.button if b.label == "Explain my results").click().run()
    assert not at.exception and [w.value for w in at.warning] == ["This number is not in your results: 97\\.3\\%."]
    at.run()  # the mark stays with the answer on later runs
    assert len(at.warning) == 1
