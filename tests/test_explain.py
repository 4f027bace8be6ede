"""core.trust.explain on tiny real models: exact TF-IDF contributions, Integrated Gradients
completeness, occlusion on a text whose label hinges on one word."""
from __future__ import annotations

import numpy as np
import pytest

from core.contenders.baseline import TfidfClassifier
from core.contenders.finetune import FineTuneClassifier
from core.errors import DataError
from core.trust.explain import explain, tokens


@pytest.fixture(scope="module")
def baseline():
    from tests.conftest import tiny_frame

    df = tiny_frame()
    return TfidfClassifier().fit(df["text"], df["label"])


def test_tokens_split_words_chinese_words_and_punctuation():
    assert [t for t, _, _ in tokens("Don't stop! 这个很好 ok")] == ["Don't", "stop", "!", "这个", "很", "好", "ok"]
    # Chinese is cut into words (jieba's dictionary), not characters: 包裹 and 物流 weigh as one word each
    assert [t for t, _, _ in tokens("我的包裹还没到，请查物流")][:4] == ["我", "的", "包裹", "还"]
    text = "naïve café, 東京 and 物流信息"
    assert all(text[s:e] == w for w, s, e in tokens(text))


@pytest.mark.parametrize("text", ["really happy with it, best purchase ever !", "where  is my   ORDER?",
                                  "terrible... awful service", "这个产品非常好"])
def test_tfidf_weights_are_exactly_coefficients_times_features(baseline, text):
    for target in baseline.classes_:
        ex = explain(baseline, text, target)
        t = baseline.classes_.index(target)
        features = baseline._features([text])
        score = float((features @ baseline.coef_[t])[0])  # the target's logit without its intercept
        assert ex.method == "tfidf"
        assert sum(w["weight"] for w in ex.words) == pytest.approx(score, abs=1e-9)


def test_tfidf_single_word_text_gets_its_whole_score(baseline):
    ex = explain(baseline, "wonderful")
    features = baseline._features(["wonderful"])
    assert ex.words[0]["weight"] == pytest.approx(float((features @ baseline.coef_[baseline.classes_.index(ex.target)])[0]))


def test_tfidf_words_point_the_right_way(baseline):
    ex = explain(baseline, "terrible service, where is my order?", target="negative")
    weight = {w["word"]: w["weight"] for w in ex.words}
    assert weight["terrible"] > 0 and weight["order"] < 0


def test_occlusion_finds_the_word_a_label_hinges_on():
    texts = [f"the {w} was {q}" for w in ("parcel", "order", "box", "meal", "room", "film") for q in
             ("good", "bad")] * 3
    labels = ["pos" if t.endswith("good") else "neg" for t in texts]

    class Occluded:  # not a contender: anything with predict_proba and classes_ (an ONNX export) is occluded
        def __init__(self, model):
            self.classes_, self.predict_proba = model.classes_, model.predict_proba

    model = Occluded(TfidfClassifier().fit(texts, labels))
    ex = explain(model, "the parcel was bad")
    assert ex.method == "occlusion" and ex.label == "neg"
    assert max(ex.words, key=lambda w: w["weight"])["word"] == "bad"
    assert ex.top(1)[0]["word"] == "bad"


@pytest.mark.slow
def test_integrated_gradients_is_complete_and_merges_word_pieces(tiny_df):
    model = FineTuneClassifier(epochs=3, batch_size=8, lr=1e-4, max_length=32, seed=0)
    model.fit(tiny_df["text"], tiny_df["label"])
    text = "absolutely unbelievably fantastic service"
    ex = explain(model, text)
    assert ex.method == "integrated_gradients" and [w["word"] for w in ex.words] == text.split()
    import torch

    enc = model.tokenizer_(text, return_tensors="pt")
    with torch.no_grad():
        logit = model.model_(**enc).logits[0, model.classes_.index(ex.target)].item()
    total = sum(w["weight"] for w in ex.words)
    assert ex.completeness_gap < 0.05 * max(1.0, abs(total))  # captum's convergence delta
    assert abs(total) > 0.1 and np.isfinite(logit)


def test_unknown_target_is_one_sentence(baseline):
    with pytest.raises(DataError, match="is not one of this model's labels"):
        explain(baseline, "hello", target="nope")


def test_explaining_is_part_of_the_contract_and_explain_py_reads_no_private_attribute(baseline):
    import re
    from pathlib import Path

    from core.contenders.base import ClassifierMixin

    class Plain(ClassifierMixin):  # a new contender with no explanation code of its own
        kind = "plain"

        def __init__(self, inner):
            self.inner, self.classes_ = inner, inner.classes_

        def predict_proba(self, texts):
            return self.inner.predict_proba(texts)

    ex = Plain(baseline).explain("terrible service, where is my order?")
    assert ex.method == "occlusion" and len(ex.words) == 8 and ex.label == baseline.predict(["terrible service, where "
                                                                                             "is my order?"])[0]
    source = (Path(__file__).parents[1] / "core" / "trust" / "explain.py").read_text(encoding="utf-8")
    private = set(re.findall(r"model\.(\w+_)\b", source)) - {"classes_"}  # classes_ is the contract's
    assert not private, private  # no coef_, vectorizers_, tokenizer_ or model_


def test_the_faithfulness_measure_favours_the_words_that_decide(baseline):
    from core.trust.explain import comprehensiveness

    text = "terrible awful service, the parcel never came and nobody answers my emails"
    ex = explain(baseline, text)
    top, random = comprehensiveness(baseline, text, ex, np.random.default_rng(0))
    assert top > 2 * random and top > 0
