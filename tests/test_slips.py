"""The small slips found in the trust walk, one test each (each failed before its fix)."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import TrainConfig
from tests.conftest import ROOT
from tests.test_pages import trained, trained_dir  # noqa: F401 (fixtures)


def test_the_model_card_names_the_checkpoint_a_reader_can_look_up(tmp_path):
    from core.card import write_model_card

    ev = {"accuracy": 0.9, "macro_f1": 0.9, "weighted_f1": 0.9, "ci": {"accuracy": [0.8, 1.0]},
          "calibration": {"ece": 0.01}, "per_class": []}
    metrics = {"rows": {"train": 8, "val": 1, "test": 1}, "train_seconds": 1.0, "test": ev, "classes": ["a", "b"]}
    write_model_card(tmp_path, TrainConfig(model="embeddings"), metrics)
    card = (tmp_path / "README.md").read_text()
    assert "checkpoint `sentence-transformers/all-MiniLM-L6-v2`" in card and "`default`" not in card


def test_a_model_zip_is_named_after_the_run():
    from core.predict import zip_name

    assert zip_name("TF-IDF baseline · demo_tickets · Dec 1 08:05", "20261201-080500-abc123") == \
        "tunelab-TF-IDF-baseline-demo_tickets-Dec-1-08-05.zip"
    assert zip_name("TF-IDF 基线 · 餐厅评论", "x") == "tunelab-TF-IDF-基线-餐厅评论.zip"
    assert zip_name("../../", "20261201-080500-abc123") == "tunelab-20261201-080500-abc123.zip"


def test_accept_at_or_above_takes_a_row_that_shows_the_same_number():
    from ui.review import at_or_above

    todo = pd.DataFrame({"confidence": [0.8996, 0.8949, 0.95]})
    assert at_or_above(todo, 0.9)["confidence"].tolist() == [0.8996, 0.95]


@pytest.mark.usefixtures("trained")
def test_a_confidence_on_predict_has_no_rising_arrow():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/predict.py").run()
    at.text_area[0].input("absolutely fantastic, I love it").run()
    next(b for b in at.button if b.label == "Classify").click().run()
    assert at.metric and all(m.proto.direction == m.proto.MetricDirection.NONE for m in at.metric)  # not "↑ 50%"
    # the correction box preselects nothing: the model's own label is not offered as "the right label"
    assert all(s.value is None for s in at.selectbox if s.label == "Wrong? Pick the right label")


def test_a_finished_card_says_its_score_and_the_baseline_reads_as_chosen(data_dir, tiny_csv):
    from core.data.cleaning import load_dataset
    from core.data.datasets import save_dataset
    from core.jobs import JobRunner
    from core.store import Store
    from tests.test_pages import finish

    store = Store(data_dir)
    dataset_id = save_dataset(store, load_dataset(tiny_csv), tiny_csv.read_bytes(), "tiny.csv")
    runner = JobRunner(store)
    runner.submit(TrainConfig(dataset_id=dataset_id, dataset_version=1), dataset_name="tiny")
    finish(runner)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/train.py").run()
    assert any("test texts right (" in c.value and c.value.startswith("Finished in") for c in at.caption)
    assert any(m.value.startswith("✔ TF") for m in at.markdown)  # not a greyed-out, disabled checkbox
    assert not [b for b in at.checkbox if b.disabled]
    assert not any("minute" in t.label for t in at.toggle)  # no time promised for the Quick demo
