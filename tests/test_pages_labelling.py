"""Starting with no labels, in the app: the Data page's "I have no labels yet" queues an LLM labelling (the scripted
server of test_llm_endpoint as the operator's endpoint), its labels become a dataset, Evaluate withholds scores
until a person has checked the test sample, then shows the teacher beside a student; the Train page suggests SetFit
for few labels; the Label page starts a pool with one text of each kind."""
from __future__ import annotations

import time

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.data import versions
from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT, tiny_frame
from tests.test_llm_endpoint import server as scripted_server

server = scripted_server  # the fixture, under the name the test asks for


def wait(store: Store, job_type: str | None = None) -> None:
    runner, t0 = JobRunner(store), time.time()
    while any(j.status in ("queued", "running") for j in store.jobs(job_type=job_type)):
        runner.poll()
        assert time.time() - t0 < 120
        time.sleep(0.3)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_no_labels_to_a_checked_dataset_and_a_teacher_on_evaluate(server, data_dir, monkeypatch):
    monkeypatch.setenv("TUNELAB_CHAT_ENDPOINTS", f"Scripted={server}|m")
    store = Store(data_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_mode"] = "unlabelled"
    at.session_state["nolabel_file"] = ("texts.csv", tiny_frame()[["text"]].to_csv(index=False).encode())
    at.run()
    at.text_input(key="nolabel_classes").input("question").run()
    model = next(s for s in at.selectbox if s.label == "Language model that labels")
    model.set_value("endpoint:Scripted").run()
    button(at, "Label 72 texts with the language model").click().run()
    assert [e.value.replace("\\", "") for e in at.error] == ["Name at least two categories (for example: billing, shipping), separated "
                                           "by commas."]
    assert not store.jobs()  # nothing queued
    at.text_input(key="nolabel_classes").input("negative, positive, question").run()
    button(at, "Label 72 texts with the language model").click().run()
    assert not at.error, [e.value for e in at.error]
    wait(store, "llm-label")
    at.run()
    button(at, "Use these labels").click().run()
    [dataset] = store.datasets()
    assert not versions.latest(store, dataset["id"]).checked
    assert any("Check the test sample" in s.value for s in at.subheader)
    # a run trained before the check: Evaluate says why it shows no score
    runner = JobRunner(store)
    from core.config import TrainConfig

    runner.submit(TrainConfig(model="baseline", dataset_id=dataset["id"], dataset_version=1))
    wait(store, "train")
    ev = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/evaluate.py").run()
    assert any("not checked yet" in i.value for i in ev.info) and not ev.dataframe
    button(at, "Confirm these 21 labels").click().run()
    assert any("you agreed with the language model on 21 of 21" in s.value for s in at.success)
    assert versions.latest(store, dataset["id"]).checked
    runner.submit(TrainConfig(model="baseline", dataset_id=dataset["id"], dataset_version=2))  # a student on v2
    wait(store, "train")
    ev = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/evaluate.py").run()
    assert not ev.info, [i.value for i in ev.info]
    words = [s.value for s in ev.text]
    assert any("trained on the language model's labels, reaches" in w and "(teacher)" in w for w in words), words


def test_few_labels_tick_setfit_on_train(data_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(JobRunner, "poll", lambda self: None)  # queue only
    store = Store(data_dir)
    path = tmp_path / "few.csv"
    tiny_frame().groupby("label").head(10).to_csv(path, index=False)
    save_dataset(store, load_dataset(path), path.read_bytes(), path.name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/train.py").run()
    assert at.checkbox(key="contender_setfit").value is True
    assert any("SetFit usually does best" in i.value for i in at.info)


def test_the_label_page_shows_one_text_of_each_kind_first(data_dir):
    Store(data_dir)
    texts = [f"refund for order {i} please" for i in range(50)] + [f"where is parcel {i}?" for i in range(20)] + \
            [f"the app crashes on screen {i}" for i in range(20)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["first_pool"] = {"file": "t.csv", "texts": texts, "classes": ["billing", "shipping", "tech"]}
    at.run().switch_page("pages/label.py").run()
    at.number_input(key="first_n").set_value(4).run()
    [shown] = [d.value for d in at.dataframe] if at.dataframe else [None]
    picked = at.session_state["first_picks"][1]
    kinds = {t.split()[0] for t in picked}
    assert kinds == {"refund", "where", "the"}  # every kind among the first four, not four refunds
    assert button(at, "Save 0 labelled text(s) as a dataset").disabled
    assert shown is None or isinstance(shown, pd.DataFrame)


def test_i_label_them_myself_opens_the_label_page_with_the_texts(data_dir):
    Store(data_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_mode"] = "unlabelled"
    at.session_state["nolabel_file"] = ("texts.csv", tiny_frame()[["text"]].to_csv(index=False).encode())
    at.run()
    at.text_input(key="nolabel_classes").input("negative, positive, Negative").run()
    at.radio(key="nolabel_who").set_value("me").run()
    button(at, "Label the first texts").click().run()
    assert [e.value.replace("\\", "") for e in at.error] == ["The category 'Negative' is named twice; give each category once."]
    at.text_input(key="nolabel_classes").input("negative, positive, question").run()
    button(at, "Label the first texts").click().run()
    assert at.title[0].value == "Label what matters next"
    assert at.session_state["first_pool"]["classes"] == ["negative", "positive", "question"]
    assert any(s.value == "Your first labels" for s in at.subheader)


def test_the_demo_without_labels_names_its_categories(data_dir):
    Store(data_dir)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_mode"] = "unlabelled"
    at.run()
    button(at, "Use the demo tickets without their labels").click().run()
    assert at.text_input(key="nolabel_classes").value == "account, billing, feedback, shipping, technical"
    assert any("760 texts in demo" in c.value for c in at.caption)  # (the file name is escaped for markdown)
