"""Archive, restore and delete runs and datasets (core.housekeeping), from the CLI and the Train page."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from core import housekeeping
from core.config import TrainConfig
from core.data.cleaning import load_dataset
from core.data.datasets import save_dataset
from core.errors import DataError
from core.jobs import JobRunner
from core.store import Store
from tests.conftest import ROOT
from tests.test_pages import finish


@pytest.fixture
def two_runs(data_dir, tiny_csv):
    store = Store(data_dir)
    dataset_id = save_dataset(store, load_dataset(tiny_csv), tiny_csv.read_bytes(), "tiny.csv")
    runner = JobRunner(store)
    ids = [runner.submit(TrainConfig(model="baseline", seed=s, dataset_id=dataset_id, dataset_version=1), dataset_name="tiny")
           for s in (0, 1)]
    finish(runner)
    return store, dataset_id, ids


def test_archive_hides_a_run_everywhere_and_restore_brings_it_back(two_runs):
    store, dataset_id, (first, second) = two_runs
    housekeeping.archive_run(store, first)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run().switch_page("pages/evaluate.py").run()
    assert len(at.multiselect[0].options) == 1  # only the current run is offered
    at.switch_page("pages/train.py").run()
    assert at.toggle(key="show_archived").value is False
    assert sum("1 finished job(s)" in c.value for c in at.caption) == 1  # the archived one is hidden
    at.toggle(key="show_archived").set_value(True).run()
    assert sum("2 finished job(s)" in c.value for c in at.caption) == 1 and any(b.label == "Restore" for b in at.button)
    assert (store.run_dir(first) / "metrics.json").is_file()  # its files stay
    housekeeping.archive_run(store, first, archived=False)
    assert {j.id for j in store.jobs(("done",), job_type="train", archived=False)} == {first, second}


def test_delete_removes_the_folder_and_a_dataset_with_runs_is_protected(two_runs):
    store, dataset_id, (first, second) = two_runs
    with pytest.raises(DataError, match="2 run\\(s\\) were trained on this dataset"):
        housekeeping.delete_dataset(store, dataset_id)
    housekeeping.delete_run(store, first)
    assert not store.run_dir(first).exists() and store.get_job(first) is None
    housekeeping.delete_run(store, second)
    housekeeping.delete_dataset(store, dataset_id)
    assert not store.dataset_dir(dataset_id).exists() and store.datasets(archived=None) == []
    with pytest.raises(DataError, match="no run with the id"):
        housekeeping.delete_run(store, "../../etc")


def test_the_cli_lists_archives_and_deletes_only_with_yes(two_runs, data_dir):
    store, dataset_id, (first, second) = two_runs

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, env={**__import__("os").environ, "TUNELAB_DATA_DIR": str(data_dir)})
    assert cli("runs", "archive", first).returncode == 0
    listed = json.loads(cli("runs", "list", "--json").stdout)["runs"]
    assert [r["id"] for r in listed] == [second]
    assert len(json.loads(cli("runs", "list", "--all", "--json").stdout)["runs"]) == 2
    refused = cli("runs", "delete", second)
    assert refused.returncode == 2 and refused.stderr.startswith("error: Deleting removes the run for good; add --yes")
    assert store.run_dir(second).exists()
    assert cli("runs", "delete", second, "--yes").returncode == 0 and not store.run_dir(second).exists()
    kept = cli("dataset", "delete", dataset_id, "--yes")
    assert kept.returncode == 2 and "1 run(s) were trained on this dataset" in kept.stderr
    assert cli("dataset", "archive", dataset_id).returncode == 0
    assert json.loads(cli("dataset", "list", "--json").stdout)["datasets"][0]["archived"] is True
