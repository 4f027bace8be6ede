"""The prompted LLM contender: label-sequence scoring, the prefix cache, contextual calibration and the decision
to keep it, example picking, saving without weights, and every refusal in one sentence. The real model is the
embedded SmolLM2-135M (its GGUF read by transformers)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.config import TrainConfig
from core.contenders import llm_scoring as scoring
from core.contenders.llm import LLMClassifier, fresh_usage, pick_examples
from core.contenders.llm_models import load_llm
from core.errors import DataError
from tests.conftest import tiny_frame


@pytest.fixture(scope="module")
def smol():
    tokenizer, model, reference = load_llm("default")
    return tokenizer, model, reference


def test_labels_sharing_a_first_token_are_scored_whole_and_the_prefix_cache_changes_nothing(smol):
    tokenizer, model, _ = smol
    classes = ["spam", "spammy", "ab", "abbreviation"]
    prefix, rest, close = scoring.chat_parts(tokenizer, scoring.system_turn(classes), [("What does NASA stand for?",
                                                                                         "abbreviation")])
    labels = scoring.label_ids(tokenizer, classes, close)
    # one first token for spam/spammy, and "ab" is abbreviation's first token: only whole sequences, closed by the
    # end-of-turn token, tell them apart
    assert labels[0][0] == labels[1][0] and labels[2][0] == labels[3][0]
    prefix_ids, text_ids = scoring.encode(tokenizer, prefix), scoring.encode(tokenizer, rest("What is ASAP short for?"))
    scorer = scoring.PrefixScorer(model, prefix_ids, labels, tokenizer.eos_token_id)
    cached = scorer.log_scores(text_ids)
    whole = scoring.whole_log_scores(model, prefix_ids + text_ids, labels)
    assert np.allclose(cached, whole, atol=1e-4) and len(set(np.round(cached, 3))) == 4
    again = scorer.log_scores(scoring.encode(tokenizer, rest("Tell me about the moon.")))  # the cache was cropped
    assert np.allclose(again, scoring.whole_log_scores(model, prefix_ids + scoring.encode(
        tokenizer, rest("Tell me about the moon.")), labels), atol=1e-4)


@pytest.mark.parametrize("classes", [["yes", "no"], ["yes", "abbreviation", "about"]])
def test_labels_no_other_begins_are_scored_without_the_close_and_match_whole_scoring(smol, classes):
    tokenizer, model, _ = smol
    prefix, rest, close = scoring.chat_parts(tokenizer, scoring.system_turn(classes), [])
    labels = scoring.label_ids(tokenizer, classes, close)
    assert labels == [scoring.encode(tokenizer, c) for c in classes]  # no end-of-turn token needed to tell them apart
    assert len(labels[0]) == 1 and (len(classes) == 2 or len(labels[1]) > 1)  # one call alone, or one plus longer ones
    prefix_ids, text_ids = scoring.encode(tokenizer, prefix), scoring.encode(tokenizer, rest("Is NASA short?"))
    scorer = scoring.PrefixScorer(model, prefix_ids, labels, tokenizer.eos_token_id)
    assert np.allclose(scorer.log_scores(text_ids), scoring.whole_log_scores(model, prefix_ids + text_ids, labels),
                       atol=1e-4)
    assert scoring.label_ids(tokenizer, classes, close, always_close=True)[0][1:]  # LoRA's answers end the turn


def test_contextual_calibration_divides_out_the_prompts_bias():
    proba = np.array([[0.7, 0.3], [0.9, 0.1]])  # a prompt that leans to the first label
    content_free = np.array([0.8, 0.2])
    fixed = scoring.calibrated(proba, content_free)
    assert fixed.argmax(1).tolist() == [1, 0] and np.allclose(fixed.sum(1), 1)
    assert scoring.calibrated(proba, None) is proba


class Scripted(LLMClassifier):
    """The fit logic without a model: probabilities leaning to 'neg' by `bias`, right otherwise."""

    def __init__(self, bias: float, **kw):
        super().__init__(**kw)
        self.bias = bias

    def _prepare(self):
        self.reference_, self._scorer, self.usage_ = {"source": "test"}, None, fresh_usage()

    def _proba_one(self, text):
        good = 0.5 + 0.2 * (1 if "good" in text else -1) if text not in ("N/A", "", "[MASK]") else 0.5
        p = np.array([1 - good + self.bias, good])  # neg, pos
        return p / p.sum()


@pytest.mark.parametrize("bias,kept", [(0.5, True), (0.0, False)])
def test_calibration_is_kept_only_where_it_raises_validation_macro_f1(bias, kept):
    texts, labels = ["good one", "bad one", "good two", "bad two"], ["pos", "neg", "pos", "neg"]
    model = Scripted(bias, shots=1).fit(texts, labels, eval_set=(texts, labels))
    event = model.history_[-1]
    assert model.calibrated_ is kept and event["calibrated"] is kept
    assert set(event) >= {"val_accuracy", "val_macro_f1", "step"}  # what the CLI and the training chart print
    assert event["val_macro_f1_calibrated"] > event["val_macro_f1_uncalibrated"] if kept else \
        event["val_macro_f1_calibrated"] <= event["val_macro_f1_uncalibrated"]
    assert model.predict_proba(["good three"]).argmax() == 1  # right either way: calibrated where the prompt leaned


def test_a_calibration_gain_that_is_luck_is_not_kept():
    rng = np.random.default_rng(2)
    truth, raw = list(rng.choice(["a", "b"], 100)), rng.dirichlet([2, 2], 100)  # probabilities with no signal
    content_free = np.array([0.58, 0.42])
    gain = scoring.macro_f1(truth, scoring.calibrated(raw, content_free), ["a", "b"]) - scoring.macro_f1(truth, raw,
                                                                                                         ["a", "b"])
    assert 0 < gain < 0.01  # higher on these rows...
    assert scoring.calibration_losses(truth, raw, content_free, ["a", "b"]) > 0.3  # ...and lower on a third of resamples


def test_examples_are_reproducible_cover_every_label_and_interleave():
    df = tiny_frame()
    first = pick_examples(df["text"].tolist(), df["label"].tolist(), ["negative", "positive", "question"], 2, seed=3)
    assert first == pick_examples(df["text"].tolist(), df["label"].tolist(), ["negative", "positive", "question"], 2,
                                  seed=3)
    assert [label for _, label in first] == ["negative", "positive", "question"] * 2
    assert len({text for text, _ in first}) == 6
    assert pick_examples(df["text"].tolist(), df["label"].tolist(), ["negative", "positive", "question"], 0, 3) == []


@pytest.mark.slow
def test_a_few_shot_run_trains_scores_saves_without_weights_and_loads(tmp_path):
    from core.contenders.registry import load_classifier
    from core.train import run_training

    tiny_frame().to_csv(tmp_path / "tiny.csv", index=False)
    metrics = run_training(TrainConfig(model="llm", shots=1), tmp_path / "tiny.csv", tmp_path / "run")
    assert metrics["model"] == "llm" and metrics["rows"]["test"] > 0 and "calibrated" in metrics["history"][-1]
    saved = sorted(p.name for p in (tmp_path / "run" / "model").iterdir())
    assert saved == ["README.md", "tunelab.json"]  # the prompt's makings and the model's reference, no weights
    meta = json.loads((tmp_path / "run" / "model" / "tunelab.json").read_text(encoding="utf-8"))
    assert meta["reference"]["source"] == "embedded" and len(meta["reference"]["sha256"]) == 64
    assert len(meta["examples"]) == 3 and "key" not in json.dumps(meta).lower()
    again = load_classifier(tmp_path / "run" / "model")
    texts = ["terrible, it broke at once", "do you ship to Norway?"]
    assert np.allclose(again.predict_proba(texts), again.predict_proba(texts))
    assert again.explain(texts[0]).method == "occlusion"


def test_refusals_are_one_sentence(smol, tmp_path):
    df = tiny_frame()
    long = [("word " * 3000, "negative")]  # 3 x 3,000 tokens: past SmolLM2's 8,192
    with pytest.raises(DataError, match="longer than this model reads"):
        model = LLMClassifier(shots=1)
        model.classes_, model.examples_ = ["negative", "positive"], long * 3
        model._prepare()
    with pytest.raises(DataError, match="is not a model folder Tunelab can use"):  # a model that is gone
        LLMClassifier(llm=str(tmp_path / "gone")).fit(df["text"], df["label"])
    tokenizer = smol[0]
    with pytest.raises(DataError, match="Two labels look the same"):
        scoring.label_ids(tokenizer, ["spam", "spam"], "<|im_end|>")

    class WordPiece:  # a tokenizer with an unknown token: a label outside its vocabulary comes out as [UNK]
        unk_token_id = 100

        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": [100 if not text.isascii() else 7 + len(text)]}

    with pytest.raises(DataError, match="cannot write the label '垃圾邮件'"):
        scoring.label_ids(WordPiece(), ["ham", "垃圾邮件"], "</s>")


@pytest.mark.slow
def test_lora_tuning_lowers_the_loss_and_saves_the_adapter_as_safetensors(tmp_path):
    from core.contenders.llm_lora import LoRALLMClassifier

    df = tiny_frame()
    losses = []
    model = LoRALLMClassifier(epochs=1, batch_size=4, max_steps=5, lr=1e-3, max_length=24)  # ~1 min on 2 cores
    model.fit(df["text"][:20], df["label"][:20], on_progress=lambda e: losses.append(e["loss"]) if "loss" in e else 0)
    assert len(losses) == 5 and np.mean(losses[-2:]) < np.mean(losses[:2])
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "adapter" / "adapter_model.safetensors").is_file()
    assert not list((tmp_path / "m").rglob("*.bin")) and not list((tmp_path / "m").rglob("*.pt"))
    again = LoRALLMClassifier.load(tmp_path / "m")
    texts = ["terrible, it broke", "do you ship to Norway?"]
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-5)
    from core.chat.base import ChatParams
    from core.chat.tuned import load_tuned

    engine = load_tuned(tmp_path / "m")  # the app can chat with the tuned model
    assert engine.label.endswith(".gguf + LoRA") and engine.small  # the base's name; small: answers are grounded
    answer = engine.complete([{"role": "user", "content": "Text: awful, it broke at once"}], ChatParams(
        temperature=0, max_tokens=8))
    assert isinstance(answer, str) and answer.strip()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "tunelab.json").write_text(json.dumps({"kind": "baseline"}), encoding="utf-8")
    with pytest.raises(DataError, match="not a LoRA-tuned LLM"):
        load_tuned(tmp_path / "other")


def test_a_gguf_is_dequantised_once_and_read_directly_where_the_cache_cannot_be_written(tmp_path, monkeypatch):
    from core.contenders import llm_models

    made = []

    def dequantise(gguf, sha256, target):  # the real one takes ~10 s; the smol fixture above went through it
        made.append(target)
        target.mkdir(parents=True)
        (target / llm_models.DEQUANTISED).write_text("{}", encoding="utf-8")

    monkeypatch.setattr(llm_models, "_dequantise", dequantise)
    monkeypatch.setenv("TUNELAB_MODELS_DIR", str(tmp_path / "models"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    first = llm_models.dequantised(gguf, "ab" * 32)
    assert first == llm_models.dequantised(gguf, "ab" * 32) == str(tmp_path / "models" / ("llm-" + "ab" * 8))
    assert len(made) == 1
    monkeypatch.setenv("TUNELAB_MODELS_DIR", str(gguf / "models"))  # under a file: no one can write there, root neither
    assert llm_models.dequantised(gguf, "cd" * 32) == str(gguf) and len(made) == 1


def test_a_saved_run_whose_model_file_is_gone_says_so(tmp_path):
    from core.contenders.llm_models import require_model

    gone = tmp_path / "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    with pytest.raises(DataError, match=r"made with \(qwen2.5-1.5b-instruct-q4_k_m.gguf\) is no longer on this server"):
        require_model(str(gone), {"source": "file", "name": gone.name, "sha256": "0" * 64})
    gone.write_bytes(b"GGUF")
    require_model(str(gone), {"source": "file", "name": gone.name})  # back in place: no complaint
