"""Language detection in the cleaning report, and the Train page's checkpoint preselection."""
from __future__ import annotations

import pandas as pd

from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.data.language import describe, mostly_not_english, sentence
from core.store import Store
from tests.conftest import DEMO, shared
from tests.test_pages import app, no_errors

CHINESE = ["我想退款，包裹没有到。", "这个产品质量很好，我很喜欢。", "客服态度太差了，再也不买了。", "物流很快，包装也很好。",
           "东西坏了，怎么退货？", "價格便宜，品質不錯。"]


def test_a_mixed_file_reports_its_share_of_non_english_texts():
    texts = CHINESE[:3] + ["Où est mon colis ? Ça fait déjà trois semaines.", "Wo ist mein Paket? Ich warte schon lange.",
                           "My parcel has not arrived yet", "a gorgeous , witty , seductive movie", "Great product!"]
    d = describe(texts)
    assert d["non_english"] == 5 / 8 and set(d["scripts"]) == {"Chinese", "Latin"} and mostly_not_english(d)
    assert sentence(d).startswith("62% of the texts are not in English (letters: ")


def test_english_sets_read_as_english():
    assert describe(pd.read_csv(DEMO)["ticket"])["non_english"] == 0
    assert describe(pd.read_csv(shared("sst2/train.csv"))["text"])["non_english"] < 0.02
    assert sentence(describe(["plain english text"])) == ""


def test_the_cleaning_report_and_the_train_page_preselect_the_multilingual_model(data_dir, tmp_path):
    path = tmp_path / "zh.csv"
    pd.DataFrame({"text": CHINESE * 4, "label": ["负面", "正面", "负面", "正面", "负面", "正面"] * 4}).to_csv(path, index=False)
    ds = load_dataset(path)
    assert ds.report.language["non_english"] == 1.0 and ds.report.language["scripts"] == {"Chinese": 1.0}
    save_dataset(Store(data_dir), ds, path.read_bytes(), "zh.csv")
    at = app()
    at.switch_page("pages/train.py").run()
    no_errors(at)
    assert at.radio[0].value == "multilingual"
    assert any("multilingual model is preselected" in c.value for c in at.caption)
    assert any("at most 400 training rows" in c.value for c in at.caption)  # the Quick demo's cap for it


def test_an_english_dataset_keeps_minilm(data_dir):
    save_dataset(Store(data_dir), load_dataset(DEMO), DEMO.read_bytes(), "demo.csv")
    at = app()
    at.switch_page("pages/train.py").run()
    assert at.radio[0].value == "default" and not any("preselected" in c.value for c in at.caption)
