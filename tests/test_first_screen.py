"""The trust walk's first-screen and naming items: what Tunelab does on an empty data folder, the demo one
click away, no server path in the sidebar, run names in the reader's language, round ticks, shortest first."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core.config import TrainConfig
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT


def test_the_first_screen_says_what_to_do_and_the_demo_is_one_click_away(data_dir):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert any("Tunelab turns labelled texts into a classifier" in m.value and "Evaluate" in m.value
               for m in at.markdown)
    next(b for b in at.button if b.label == "Try it with the demo support tickets").click().run()
    assert any(b.label == "Save and use this dataset" for b in at.button)  # the demo is loaded, ready to save
    assert not [c for c in at.sidebar.caption if str(data_dir) in c.value]  # no server path for visitors


def test_a_generated_run_name_is_made_again_in_the_readers_language(data_dir, tiny_csv):
    runner = JobRunner(Store(data_dir))
    job_id = runner.submit(TrainConfig(epochs=5), tiny_csv, dataset_name="reviews", lang="en")
    run = runner.folder(job_id)
    assert run.display_name("en").startswith("TF-IDF baseline · reviews · ")
    assert run.display_name("zh").startswith("TF-IDF 基线 · reviews · ") and "月" in run.display_name("zh")
    assert run.short_name("zh") == "TF-IDF 基线" and run.short_name("en") == "TF-IDF baseline"
    run.rename("Mine")
    assert run.display_name("zh") == run.short_name("zh") == "Mine"  # a name the user gave stays as given


def test_the_validation_axis_has_round_ticks():
    from core import charts

    fig = charts.training_curves({"Fine-tuned MiniLM": [{"event": "eval", "step": 3, "val_macro_f1": 0.8137}]})
    assert fig.layout.yaxis2.dtick == 0.2 and fig.layout.yaxis2.tickformat == ".1f"


def test_a_retrain_runs_the_cheapest_recipe_first(data_dir, tiny_csv):
    from core.data.cleaning import load_dataset
    from core.data.datasets import save_dataset

    store = Store(data_dir)
    dataset_id = save_dataset(store, load_dataset(tiny_csv), tiny_csv.read_bytes(), "tiny.csv")
    runner = JobRunner(store, max_concurrent=0)  # nothing starts: only the order is looked at
    ids = [runner.submit(TrainConfig(model=m, dataset_id=dataset_id, dataset_version=1), dataset_name="tiny")
           for m in ("finetune", "baseline")]
    queued = runner.retrain(ids, dataset_id)
    assert [store.get_job(i).model for i in queued] == ["baseline", "finetune"]


def test_train_remembers_the_boxes_and_caps_only_the_multilingual_transformer(data_dir):
    from core.data.cleaning import load_dataset
    from core.data.datasets import ASSETS, save_dataset

    demo = ASSETS / "demo_tickets_zh.csv"
    store = Store(data_dir)
    save_dataset(store, load_dataset(demo), demo.read_bytes(), demo.name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/train.py").run()
    at.checkbox(key="contender_finetune").uncheck().run()
    at.switch_page("pages/data.py").run()
    at.switch_page("pages/train.py").run()
    assert at.checkbox(key="contender_finetune").value is False  # kept across a visit elsewhere
    at.checkbox(key="contender_embeddings").uncheck().run()
    next(b for b in at.button if b.label == "Start training").click().run()
    [job] = Store(data_dir).jobs(("queued", "running"))
    assert job.model == "baseline" and json.loads(job.config)["max_rows"] == 2000  # not the multilingual model's 400
