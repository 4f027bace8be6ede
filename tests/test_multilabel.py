"""Texts with several labels: every way a file says it, every contender on a tiny multi-label set, thresholds tuned,
saved and used by Predict and the API, the metrics against scikit-learn's, the loop with label sets, refusals."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import f1_score, hamming_loss, precision_recall_fscore_support

from core import labelsets
from core.config import TrainConfig
from core.contenders.baseline import TfidfClassifier
from core.contenders.embeddings import EmbeddingClassifier
from core.contenders.few_shot import SetFitClassifier
from core.contenders.finetune import FineTuneClassifier
from core.contenders.registry import load_classifier
from core.data import versions
from core.data.cleaning import load_dataset, split_dataset
from core.data.datasets import MULTI_DEMOS, save_dataset
from core.deploy.api import create_app
from core.deploy.serve import load_models
from core.errors import DataError
from core.evaluate import evaluate, mcnemar
from core.predict import predict_frame
from core.runs import RunFolder
from core.store import Store
from core.thresholds import operating_point, point_sentence, save_threshold
from core.train import run_training
from core.trust.active import rank_for_labelling
from core.trust.quality import check_labels

TEXTS = {"billing": ["I was charged twice", "refund my payment", "the invoice is wrong", "my card was billed"],
         "shipping": ["the parcel is late", "my order never arrived", "tracking does not work", "the box came crushed"],
         "angry": ["this is unacceptable", "I am furious", "terrible service", "I am fed up with you"]}


def multi_frame() -> pd.DataFrame:
    """96 tickets: each topic alone, each with anger, and both topics: label sets with real co-occurrence."""
    rows = []
    for i in range(4):
        b, s, a = TEXTS["billing"][i], TEXTS["shipping"][i], TEXTS["angry"][i]
        for tail in ("", " please", " today", "!"):
            rows += [(b + tail, "billing"), (s + tail, "shipping"), (f"{b}, {a}{tail}", "billing;angry"),
                     (f"{s} and {a}{tail}", "shipping;angry"), (f"{b} and {s}{tail}", "billing;shipping"),
                     (f"{a}{tail} ok", "angry")]
    return pd.DataFrame(rows, columns=["text", "labels"])


@pytest.mark.parametrize("cells,expected", [
    (["billing;angry", "billing", "angry", "shipping; angry", "shipping"], ";"),
    (["billing|angry", "billing", "angry", "shipping|angry", "shipping"], "|"),
    (["账单，生气", "账单", "生气", "物流、生气", "物流；账单"], "；，、"),
])
def test_separated_cells_are_read_as_label_sets(cells, expected):
    texts = ["first ticket text", "second ticket text", "third ticket text", "fourth ticket text", "fifth one here"]
    ds = load_dataset(pd.DataFrame({"text": texts, "labels": cells}).to_csv(index=False).encode(), "t.csv")
    assert ds.report.multi_label["separator"] == expected
    assert labelsets.decode(ds.df["label"][0]) == sorted(cells[0].replace("|", ";").replace("，", ";").split(";"))
    assert ds.report.multi_label["labels"] == 3 and ds.report.classes[ds.df["label"].map(labelsets.decode)[1][0]] >= 2


def test_json_lists_zero_one_columns_and_empty_sets():
    lists = b'[{"text": "charged twice and furious", "labels": ["billing", "angry"]},' \
            b'{"text": "where is my parcel", "labels": ["shipping"]}, {"text": "just saying hi", "labels": []}]'
    ds = load_dataset(lists, "t.json")
    assert ds.report.multi_label["form"] == "list" and ds.df["label"].tolist()[2] == "[]"  # kept: a negative for all
    assert ds.report.multi_label["none_share"] == pytest.approx(1 / 3, abs=1e-3)
    columns = b"comment,toxic,threat,insult\nyou are an idiot,1,0,1\nnice day today,0,0,0\nI will find you,1,1,0\n"
    ds = load_dataset(columns, "t.csv")
    assert ds.report.multi_label["columns"] == ["toxic", "threat", "insult"]
    assert [labelsets.decode(v) for v in ds.df["label"]] == [["insult", "toxic"], [], ["threat", "toxic"]]
    assert "1 text" not in " ".join(ds.report.warnings) or ds.report.warnings  # counted per label


def test_a_separator_inside_names_and_between_labels_is_refused_and_can_be_overridden():
    csv = ("text,category\nmy card was charged twice,\"Billing, Payments\"\nplease refund my payment,\"Billing, Payments\"\n"
           "the parcel is late,Shipping\nlate parcel and wrong bill,\"Shipping, Billing\"\nbilled for a lost parcel,"
           "\"Billing, Shipping\"\nparcel lost and charged,\"Shipping, Billing\"\nI want to send it back,"
           "\"Returns, Refunds\"\nhow do I return this,\"Returns, Refunds\"\nwhy this invoice,Billing\n").encode()
    with pytest.raises(DataError, match="both between labels and inside label names"):
        load_dataset(csv, "t.csv", label_col="category")
    assert load_dataset(csv, "t.csv", label_col="category", multi_label=False).df["label"][0] == "Billing, Payments"
    forced = load_dataset(csv, "t.csv", label_col="category", multi_label=True)
    assert labelsets.decode(forced.df["label"][0]) == ["Billing", "Payments"]
    names = b"\n".join(line for line in csv.split(b"\n") if b"Shipping, Billing" not in line
                       and b"Billing, Shipping" not in line)  # commas only inside names
    assert load_dataset(names, "t.csv", label_col="category").report.multi_label == {}


def test_a_label_used_by_one_text_and_the_lora_llm_are_refused_in_one_sentence(tmp_path):
    df = multi_frame()
    df.loc[0, "labels"] = "billing;lonely"
    df.to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(DataError, match="The label 'lonely' is used by only one text"):
        run_training(TrainConfig(), tmp_path / "m.csv", tmp_path / "run")
    multi_frame().to_csv(tmp_path / "ok.csv", index=False)
    with pytest.raises(DataError, match="gives each text one label"):
        run_training(TrainConfig(model="llm-lora"), tmp_path / "ok.csv", tmp_path / "run2")


@pytest.mark.parametrize("build", [
    lambda: TfidfClassifier(), lambda: EmbeddingClassifier(),
    lambda: SetFitClassifier(max_steps=2, batch_size=8), lambda: FineTuneClassifier(max_steps=3, batch_size=16)])
def test_every_contender_fits_label_sets_and_loads_back(build, tmp_path):
    df = multi_frame()
    sets = [labelsets.decode(v.replace(";", '","').join(['["', '"]'])) for v in df["labels"]]
    model = build().fit(df["text"].tolist(), sets)
    proba = model.predict_proba(["I was charged twice, I am furious", "the parcel is late"])
    assert model.multi_label_ and model.classes_ == ["angry", "billing", "shipping"] and proba.shape == (2, 3)
    assert ((proba >= 0) & (proba <= 1)).all() and not np.allclose(proba.sum(1), 1)  # independent, not softmax
    assert all(isinstance(p, list) for p in model.predict(["I am furious"]))
    model.save(tmp_path / "m")
    again = load_classifier(tmp_path / "m")
    assert again.multi_label_ and np.allclose(again.predict_proba(["the parcel is late"]), proba[1:], atol=1e-4)
    assert again.explain("I am furious", "angry").target == "angry"


def test_the_strong_ones_learn_the_tiny_set():
    df = multi_frame()
    model = TfidfClassifier().fit(df["text"].tolist(), [v.split(";") for v in df["labels"]])
    assert model.predict(["my card was billed, terrible service", "tracking does not work"]) == \
        [["angry", "billing"], ["shipping"]]


def test_thresholds_are_tuned_on_validation_saved_and_used_by_predict_and_the_api(tmp_path):
    multi_frame().to_csv(tmp_path / "m.csv", index=False)
    metrics = run_training(TrainConfig(), tmp_path / "m.csv", tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "model" / "tunelab.json").read_text())
    assert meta["multi_label"] and set(meta["thresholds"]) == {"angry", "billing", "shipping"}
    assert meta["threshold_chosen"]["by"] == "tuned" and metrics["test"]["multi"]["micro_f1"] > 0.8
    text = "the parcel is late and I am fed up with you"
    before = predict_frame(tmp_path / "run" / "model", [text])["pred"][0]
    assert labelsets.decode(before) == ["angry", "shipping"]
    ev = save_threshold(tmp_path / "run", "angry", 0.999, by="Ada")  # a threshold nothing reaches
    assert labelsets.decode(predict_frame(tmp_path / "run" / "model", [text])["pred"][0]) == ["shipping"]
    assert ev["multi"]["thresholds"]["angry"] == 0.999  # the run re-scored with it
    chosen = json.loads((tmp_path / "run" / "model" / "tunelab.json").read_text())["threshold_chosen"]
    assert chosen["by"] == "Ada" and chosen["at"]
    with TestClient(create_app(load_models([str(tmp_path / "run")]), data_dir=tmp_path / "data")) as c:
        [answer] = c.post("/v1/classify", json={"texts": [text], "explain": True}).json()["predictions"]
        assert answer["labels"] == ["shipping"] and set(answer["probabilities"]) == {"angry", "billing", "shipping"}
        assert set(answer["explanations"]) == {"shipping"}
        assert c.post("/v1/feedback", json={"text": text, "labels": ["angry", "shipping"]}).json() == \
            {"status": "stored"}
        assert "as a list in 'labels'" in c.post("/v1/feedback", json={"text": text, "label": "angry"}).json()["error"]
        assert "'nope'" in c.post("/v1/feedback", json={"text": text, "labels": ["nope"]}).json()["error"]
    stored = json.loads((tmp_path / "data" / "feedback" / "feedback.jsonl").read_text().splitlines()[0])
    assert labelsets.decode(stored["label"]) == ["angry", "shipping"]


def test_a_sentence_for_a_threshold():
    frame = pd.DataFrame({"label": ['["urgent"]'] * 4 + ["[]"] * 6, "p:urgent": [.9, .8, .75, .2, .71, .1, .1, .1, .1, .1]})
    point = operating_point(frame, "urgent", 0.7)
    assert (point["flagged"], point["hits"]) == (4, 3)
    assert point_sentence(point) == ("At 0.70, 3 in 4 flagged texts are really 'urgent', and 3 in 4 'urgent' texts "
                                     "are flagged (4 of 10 test texts flagged).")


def test_the_set_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    classes = ["a", "b", "c", "d"]
    truth = rng.random((200, 4)) < 0.3
    proba = np.clip(truth * 0.6 + rng.random((200, 4)) * 0.5, 0, 1)
    y = [labelsets.encode([c for c, t in zip(classes, row, strict=True) if t]) for row in truth]
    ev = evaluate(y, proba, classes, texts=[f"t{i}" for i in range(200)], multi_label=True)
    pred = proba >= 0.5
    assert ev.multi["micro_f1"] == pytest.approx(f1_score(truth, pred, average="micro"))
    assert ev.macro_f1 == pytest.approx(f1_score(truth, pred, average="macro"))
    assert ev.multi["hamming_loss"] == pytest.approx(hamming_loss(truth, pred))
    assert ev.accuracy == pytest.approx((truth == pred).all(1).mean())
    p, r, f, _ = precision_recall_fscore_support(truth, pred, zero_division=0)
    assert [c["recall"] for c in ev.per_class] == pytest.approx(r.tolist())
    assert all(c["ci"]["f1"][0] <= c["f1"] <= c["ci"]["f1"][1] for c in ev.per_class)
    assert ev.ci["micro_f1"][0] <= ev.multi["micro_f1"] <= ev.ci["micro_f1"][1]
    assert all(set(e["missed"]) | set(e["extra"]) for e in ev.errors) and ev.confusion == []


def test_the_paired_bootstrap_tells_a_better_model_from_luck():
    rng = np.random.default_rng(1)
    truth = [labelsets.encode(["a"] if rng.random() < .5 else ["b"]) for _ in range(300)]
    same = mcnemar(truth, truth, truth)
    assert same["p_value"] == 1.0 and same["method"] == "none"
    noisy = [t if rng.random() < .6 else labelsets.encode(["a", "b"]) for t in truth]
    test = mcnemar(truth, truth, noisy)
    assert test["method"] == "bootstrap" and test["p_value"] < 0.01 and test["statistic"] > 0


def test_the_loop_with_label_sets(tmp_path):
    demo = MULTI_DEMOS["en"][0]
    store = Store(tmp_path / "data")
    ds = load_dataset(demo)
    i = save_dataset(store, ds, demo.read_bytes(), demo.name)
    v1 = versions.latest(store, i)
    assert v1.classes["urgent"] == ds.report.classes["urgent"]  # texts per label, not per set
    rows = versions.rows(store, i)
    uid, old = int(rows["uid"][0]), labelsets.decode(rows["label"][0])
    new = sorted(set(old) ^ {"urgent"})  # one label added or removed
    v2 = versions.new_version(store, i, [{"uid": uid, "label": new, "source": "review"}])
    assert v2.relabelled == 1 and labelsets.decode(versions.rows(store, i)["label"][0]) == new
    with pytest.raises(DataError, match="'sleepy' is not one of this dataset's labels"):
        versions.new_version(store, i, [{"uid": uid, "label": ["urgent", "sleepy"], "source": "review"}])


def test_label_checks_find_changed_sets_and_active_learning_ranks_the_least_sure():
    demo = load_dataset(MULTI_DEMOS["en"][0]).df
    df = demo.assign(row=np.arange(len(demo)))
    changed = list(range(0, 400, 20))  # 20 sets: a topic swapped for a wrong one
    for i in changed:
        labels = labelsets.decode(df.at[i, "label"])
        df.at[i, "label"] = labelsets.encode([x for x in labels if x in ("urgent", "angry")] +
                                             [next(t for t in ("feedback", "technical", "account", "billing")
                                                   if t not in labels)])
    found = {issue["row"] for issue in check_labels(df, use_embeddings=False).issues}
    assert len(found & set(changed)) >= 10
    issue = next(x for x in check_labels(df, use_embeddings=False).issues if x["row"] in changed)
    assert issue["extra"] or issue["missing"]
    split = split_dataset(demo)
    model = TfidfClassifier().fit(split.train["text"].tolist(), [labelsets.decode(v) for v in split.train["label"]])
    model.thresholds_ = {c: 0.5 for c in model.classes_}
    ranked = rank_for_labelling({"tfidf": model}, split.test["text"].tolist())
    assert ranked[0]["uncertainty"] >= ranked[-1]["uncertainty"] and labelsets.is_encoded(ranked[0]["guesses"]["tfidf"])


def test_the_cli_reads_a_threshold_and_trains_single_labels_when_told(tmp_path, capsys):
    from core.cli import main

    multi_frame().to_csv(tmp_path / "m.csv", index=False)
    assert main(["train", str(tmp_path / "m.csv"), "--out", str(tmp_path / "run")]) == 0
    assert main(["threshold", str(tmp_path / "run"), "--label", "angry", "--value", "0.6"]) == 0
    assert capsys.readouterr().out.startswith("At 0.60,")
    assert main(["train", str(tmp_path / "m.csv"), "--multi-label", "no", "--out", str(tmp_path / "one")]) == 0
    assert "billing;angry" in RunFolder(tmp_path / "one").metrics()["classes"]
    capsys.readouterr()
    assert main(["threshold", str(tmp_path / "run"), "--label", "nope"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.slow
def test_the_prompted_llm_asks_yes_or_no_for_each_label(tmp_path):
    from core.contenders import llm_sets
    from core.contenders.llm import LLMClassifier

    assert llm_sets.candidates(["a", "b"]) == ["a: yes", "a: no", "b: yes", "b: no"]
    assert llm_sets.yes_probability(np.log([[0.3, 0.1, 0.1, 0.3]]).ravel()) == pytest.approx([0.75, 0.25])
    df = multi_frame()
    sets = [v.split(";") for v in df["labels"]]
    model = LLMClassifier(shots=1).fit(df["text"].tolist(), sets)
    assert model.multi_label_ and all(a.count(": ") == 3 for _t, a in model.examples_)  # every label answered
    proba = model.predict_proba(["I am furious"])
    assert proba.shape == (1, 3) and ((proba > 0) & (proba < 1)).all()
    model.save(tmp_path / "m")
    again = load_classifier(tmp_path / "m")
    assert again.multi_label_ and np.allclose(again.predict_proba(["I am furious"]), proba, atol=1e-4)
    with pytest.raises(DataError, match="on a server gives each text one label"):
        LLMClassifier(llm="http://127.0.0.1:9/v1|m").fit(df["text"].tolist(), sets)


def test_a_two_class_model_takes_a_chosen_threshold_for_its_positive_class(tmp_path, tiny_df):
    two = tiny_df[tiny_df["label"] != "question"]
    two.to_csv(tmp_path / "two.csv", index=False)
    run_training(TrainConfig(), tmp_path / "two.csv", tmp_path / "run")
    text = "it is fine, I suppose"
    model = load_classifier(tmp_path / "run" / "model")
    p_positive = float(model.predict_proba([text])[0, 1])  # classes: negative, positive
    save_threshold(tmp_path / "run", "positive", min(0.99, p_positive + 0.01), by="Ada")
    assert predict_frame(tmp_path / "run" / "model", [text])["pred"][0] == "negative"
    save_threshold(tmp_path / "run", "positive", max(0.01, p_positive - 0.01), by="Ada")
    assert predict_frame(tmp_path / "run" / "model", [text])["pred"][0] == "positive"
    with pytest.raises(DataError, match="no threshold to choose"):
        save_threshold(tmp_path / "run", "negative", 0.5, by="Ada")  # the positive class's threshold decides both


def test_setfit_tunes_its_body_on_a_sample_of_a_large_set(monkeypatch):
    """setfit pairs every text with every other: GoEmotions' 43k texts took 23 GB and were killed."""
    from core.contenders import few_shot

    monkeypatch.setattr(few_shot, "MAX_PAIR_TEXTS", 5)
    texts, labels = [f"text {i}" for i in range(12)], [["a"] if i % 2 else ["b"] for i in range(12)]
    sample, sets = few_shot._pair_sample(texts, labels, seed=0)
    assert len(sample) == 5 and all(labels[int(t.split()[1])] == s for t, s in zip(sample, sets, strict=True))
    assert few_shot._pair_sample(texts[:4], labels[:4], seed=0) == (texts[:4], labels[:4])
