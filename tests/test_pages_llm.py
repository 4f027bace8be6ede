"""The prompted LLM on the Train page: off until ticked, then its settings (a model by name, never a typed path;
examples per label; the task) reach the queued run's config, and the page says the embedded model is too small."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core.data.cleaning import load_dataset
from core.data.datasets import DEMO_PATH, save_dataset
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT


def test_the_llm_is_opt_in_and_its_settings_reach_the_run(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNELAB_CHAT_MODELS", str(tmp_path / "chat_models"))
    monkeypatch.setattr(JobRunner, "poll", lambda self: None)  # queue only: no LLM worker left running after it
    store = Store(data_dir)
    save_dataset(store, load_dataset(DEMO_PATH), DEMO_PATH.read_bytes(), DEMO_PATH.name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/train.py").run()
    assert at.checkbox(key="contender_llm").value is False  # not ticked by default: it is slow and opt-in
    assert not [s for s in at.selectbox if s.label == "Language model for the prompted LLM"]
    for kind in ("embeddings", "finetune"):
        at.checkbox(key=f"contender_{kind}").uncheck()
    at.checkbox(key="contender_llm").check().run()
    [model] = [s for s in at.selectbox if s.label == "Language model for the prompted LLM"]
    # the chat-models folder is empty and the operator configured no server: the embedded model or a typed server
    assert model.options == ["Embedded SmolLM2-135M (too small to classify well)", "A server I give the address of"]
    assert any("135 million parameters" in c.value for c in at.caption)
    next(n for n in at.number_input if n.label == "Examples per label").set_value(2)
    next(t for t in at.text_input if t.label.startswith("The task")).input("Route tickets to the right team")
    next(b for b in at.button if b.label == "Start training").click().run()
    jobs = {j.model: json.loads(j.config) for j in Store(data_dir).jobs()}
    assert set(jobs) == {"baseline", "llm"}
    assert (jobs["llm"]["llm"], jobs["llm"]["shots"], jobs["llm"]["task"]) == ("default", 2,
                                                                            "Route tickets to the right team")
    names = {j.model: j.name for j in Store(data_dir).jobs()}
    assert names["llm"].startswith("Prompted SmolLM2-135M · demo_tickets · 2 examples per label · ")
    for job in Store(data_dir).jobs():  # the app's background poller outlives the test: leave it nothing to start
        JobRunner(Store(data_dir)).cancel(job.id)


def test_a_server_the_visitor_types_gets_their_key_in_memory_only(data_dir, tmp_path, monkeypatch):
    from core import jobs
    from core.runs import RunFolder

    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", "Team vLLM=http://127.0.0.1:9/v1|qwen")
    monkeypatch.setattr(JobRunner, "poll", lambda self: None)  # queue only
    monkeypatch.setattr(jobs, "_visitor_keys", {})
    store = Store(data_dir)
    save_dataset(store, load_dataset(DEMO_PATH), DEMO_PATH.read_bytes(), DEMO_PATH.name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/train.py").run()
    for kind in ("embeddings", "finetune"):
        at.checkbox(key=f"contender_{kind}").uncheck()
    at.checkbox(key="contender_llm").check().run()
    at.checkbox(key="contender_llm-lora").check().run()
    model = next(s for s in at.selectbox if s.label == "Language model for the prompted LLM")
    assert "Server: Team vLLM" in model.options
    assert not [s for s in at.selectbox if s.label.startswith("Language model to tune")]  # a local model: the same
    model.set_value(model.options[-1]).run()  # "A server I give the address of"
    tuned = next(s for s in at.selectbox if s.label.startswith("Language model to tune"))  # a server: LoRA's own
    assert tuned.options == ["Embedded SmolLM2-135M (too small to classify well)"]  # local models only
    next(t for t in at.text_input if t.label.startswith("Server address")).input("http://127.0.0.1:8/v1")
    next(t for t in at.text_input if t.label.startswith("Model name")).input("mine")
    next(t for t in at.text_input if t.label.startswith("Your API key")).input("visitor-secret")
    described = next(t for t in at.text_area if t.label.startswith("What each label means"))
    described.input("refunds: money matters").run()
    next(b for b in at.button if b.label == "Start training").click().run()
    [error] = [e.value.replace("\\", "") for e in at.error]  # shown as text: markdown's characters escaped
    assert error == ("The description line 'refunds: money matters' does not start with one of the labels and a colon "
                     "(for example 'account: what it means').")
    assert not Store(data_dir).jobs()  # nothing queued
    described.input("billing: money matters").run()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.error, [e.value for e in at.error]
    [job] = [j for j in Store(data_dir).jobs() if j.model == "llm"]
    [lora] = [j for j in Store(data_dir).jobs() if j.model == "llm-lora"]
    assert json.loads(lora.config)["llm"] == "default"  # the server's key never goes to the LoRA run
    assert {k: json.loads(lora.config)[k] for k in ("max_rows", "epochs", "batch_size")} == \
        {"max_rows": 400, "epochs": 1, "batch_size": 8}  # the quick demo keeps LoRA to minutes on a CPU
    config = json.loads(job.config)
    assert config["llm"] == "http://127.0.0.1:8/v1|mine" and config["descriptions"] == "billing: money matters"
    assert jobs._visitor_keys == {job.id: "visitor-secret"} and RunFolder(store.run_dir(job.id)).needs_key.exists()
    assert b"visitor-secret" not in b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for queued in Store(data_dir).jobs():
        JobRunner(Store(data_dir)).cancel(queued.id)


def test_chat_offers_a_lora_tuned_run_only_when_there_is_one(data_dir, monkeypatch):
    from core.store import JobStatus

    monkeypatch.setattr(JobRunner, "poll", lambda self: None)  # the made-up run is never started
    def sources():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run().switch_page("pages/chat.py").run()
        return at, next(r for r in at.radio if r.label == "Chat model").options

    store = Store(data_dir)
    assert "A LoRA-tuned LLM from your runs" not in sources()[1]
    store.add_job("20261201-120000-abcdef", "LoRA-tuned SmolLM2-135M · tickets", "llm-lora", None, {},
                  job_type="train")
    store.update_job("20261201-120000-abcdef", status=JobStatus.DONE)
    at, options = sources()
    assert "A LoRA-tuned LLM from your runs" in options
    at.radio(key="chat_source").set_value("tuned").run()
    tuned = next(s for s in at.selectbox if s.label == "Tuned run")
    assert tuned.options == ["LoRA-tuned SmolLM2-135M · tickets"] and not at.exception
