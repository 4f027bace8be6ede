"""Each contender on a few dozen rows: the one contract, real fits, save/load, cancellation."""
from __future__ import annotations

import numpy as np
import pytest

from core.contenders.base import META_FILE, FitStopped
from core.contenders.baseline import TfidfClassifier
from core.contenders.embeddings import EmbeddingClassifier
from core.contenders.finetune import FineTuneClassifier
from core.contenders.registry import load_classifier
from core.errors import DataError


def _contract(model, df, tmp_path):
    events = []
    assert model.fit(df["text"], df["label"], on_progress=events.append) is model
    assert model.classes_ == ["negative", "positive", "question"]
    proba = model.predict_proba(df["text"].tolist())
    assert proba.shape == (len(df), 3) and np.allclose(proba.sum(1), 1, atol=1e-5)
    pred = model.predict(df["text"])
    assert np.mean(np.array(pred) == df["label"].values) > 0.9  # it learned the (easy) training data
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / META_FILE).is_file() and (tmp_path / "m" / "model.safetensors").is_file()
    assert not list((tmp_path / "m").glob("*.pkl")) and not list((tmp_path / "m").glob("*.bin"))
    again = load_classifier(tmp_path / "m")
    assert type(again) is type(model)
    assert np.allclose(again.predict_proba(df["text"].tolist()), proba, atol=1e-5)
    return events


def test_baseline(tiny_df, tmp_path):
    events = _contract(TfidfClassifier(), tiny_df, tmp_path)
    assert events and events[-1]["step"] == events[-1]["total_steps"]


def test_baseline_reads_chinese_with_character_ngrams():
    pos = ["这个产品非常好", "质量很好，很满意", "物流很快，好评", "非常喜欢，推荐购买", "服务很好，好用"]
    neg = ["质量太差了", "非常失望，差评", "物流太慢，很差", "不推荐，太差", "坏了，很失望"]
    model = TfidfClassifier().fit(pos + neg, ["正面"] * 5 + ["负面"] * 5)
    assert model.predict(["很好，满意", "太差，失望"]) == ["正面", "负面"]


def test_embeddings(tiny_df, tmp_path):
    _contract(EmbeddingClassifier(batch_size=16), tiny_df, tmp_path)


@pytest.mark.slow
def test_finetune_loss_falls_and_best_checkpoint_saved(tiny_df, tmp_path):
    model = FineTuneClassifier(epochs=4, batch_size=8, lr=1e-4, max_length=32, seed=0)
    events = []
    model.fit(tiny_df["text"], tiny_df["label"], on_progress=events.append,
              eval_set=(tiny_df["text"].tolist(), tiny_df["label"].tolist()))
    losses = [e["loss"] for e in events if e["event"] == "step"]
    evals = [e for e in events if e["event"] == "eval"]
    assert events[0]["event"] == "start" and events[0]["device"] == "cpu"
    assert losses[-1] < losses[0] * 0.8, losses
    assert evals and model.best_step_ == max(evals, key=lambda e: e["val_macro_f1"])["step"]
    assert {"samples_per_s", "eta_s", "lr", "epoch"} <= set(next(e for e in events if e["event"] == "step"))
    model.save(tmp_path / "ft")
    assert (tmp_path / "ft" / "config.json").is_file() and (tmp_path / "ft" / "tokenizer.json").is_file()
    again = load_classifier(tmp_path / "ft")
    assert np.allclose(again.predict_proba(tiny_df["text"][:5]), model.predict_proba(tiny_df["text"][:5]), atol=1e-5)


def test_finetune_is_seeded_and_reproducible(tiny_df):
    runs = [FineTuneClassifier(epochs=1, batch_size=8, max_steps=3, max_length=32, seed=3)
            .fit(tiny_df["text"], tiny_df["label"]).predict_proba(tiny_df["text"][:4]) for _ in range(2)]
    assert np.allclose(runs[0], runs[1], atol=1e-6)


def test_finetune_should_stop_honoured_within_one_step(tiny_df, tmp_path):
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    events = []
    model = FineTuneClassifier(epochs=5, batch_size=4, max_length=32)
    model.fit(tiny_df["text"], tiny_df["label"], on_progress=events.append, should_stop=stop_after_two)
    assert model.stopped_ and calls["n"] == 3  # checked before every step; stopped at the first True
    proba = model.predict_proba(["great", "awful"])  # what it has is usable: a real distribution per text
    assert proba.shape == (2, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)
    model.save(tmp_path / "stopped")  # and kept: saved and loaded, it gives the same probabilities
    again = FineTuneClassifier.load(tmp_path / "stopped")
    assert again.stopped_ and np.allclose(again.predict_proba(["great", "awful"]), proba, atol=1e-5)


@pytest.mark.parametrize("make", [TfidfClassifier, lambda: EmbeddingClassifier(batch_size=16)])
def test_linear_contenders_stop_the_same_way(tiny_df, make):
    """Stopped before they have anything worth keeping: FitStopped, no model."""
    with pytest.raises(FitStopped):
        make().fit(tiny_df["text"], tiny_df["label"], should_stop=lambda: True)


def test_one_class_refused():
    with pytest.raises(DataError, match="Only one class"):
        TfidfClassifier().fit(["a b", "c d"], ["x", "x"])


def test_gradient_accumulation_makes_fewer_optimizer_steps(tiny_df):
    events = []
    FineTuneClassifier(epochs=1, batch_size=8, grad_accum=3, max_length=32).fit(
        tiny_df["text"], tiny_df["label"], on_progress=events.append)
    assert events[0]["total_steps"] == 3  # 72 rows / batch 8 = 9 batches -> 3 optimizer steps
    assert [e["step"] for e in events if e["event"] == "step"] == [3]


def test_total_steps_counts_optimizer_updates_not_batches():
    from core.contenders.training import total_steps

    assert total_steps(10, 1, 3) == 30
    assert total_steps(10, 4, 3) == 9  # updates after batches 4, 8 and the epoch's last 2
    assert total_steps(10, 4, 3, max_steps=5) == 5
    assert total_steps(1, 8, 2) == 2  # a batch shorter than the accumulation still updates once an epoch


def test_setfit_learns_from_few_saves_without_pickle_and_stops(tiny_df, tmp_path):
    from core.contenders.few_shot import SetFitClassifier

    few = tiny_df.groupby("label").head(8)  # 8 labelled texts a class: SetFit's range
    events = _contract(SetFitClassifier(max_steps=20), few, tmp_path)
    assert [e["step"] for e in events if e["event"] == "step"][-1] == 21  # 20 body steps, then the head
    files = [p.name for p in (tmp_path / "m").rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith((".pkl", ".joblib", ".bin", ".pt"))]  # safetensors and JSON only
    assert (tmp_path / "m" / "body" / "model.safetensors").is_file()
    assert load_classifier(tmp_path / "m").explain("awful service, never again").method == "occlusion"
    asked = iter([False, False, True])
    stopped = SetFitClassifier(max_steps=20).fit(few["text"], few["label"], should_stop=lambda: next(asked, True))
    assert stopped.stopped_ and stopped.best_step_ == 3  # what it tuned so far is kept, and a head fitted on it
    assert stopped.predict(["where is my order?"]) == ["question"]
