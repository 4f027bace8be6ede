"""Runs grouped by the dataset they trained on: Evaluate, Predict, Chat and Label show one dataset's runs at a
time (a new session's Evaluate once compared a Chinese run with two English ones and drew 10 classes from two
label sets in one chart). The default is the current dataset (the one chosen or saved last on Data) and, on
Evaluate, its newest version that has runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from core.store import JobStatus
from ui import resources, state
from ui.i18n import _, lang

NO_DATASET = "\0file:"  # prefix of a group of runs trained on a file outside the saved datasets (the CLI)


@dataclass
class RunGroup:
    key: str
    name: str
    runs: dict[str, str] = field(default_factory=dict)  # run id -> label, newest first
    version: dict[str, int] = field(default_factory=dict)  # run id -> the dataset version it trained on

    def newest_version_runs(self) -> list[str]:
        """The runs of the newest version that has runs (all of them when no run knows its version)."""
        top = max(self.version.values(), default=None)
        return [i for i in self.runs if self.version.get(i, top) == top]


def run_groups(store) -> dict[str, RunGroup]:
    """Finished training runs by dataset, the current dataset's group first, then by newest run."""
    names = {d["id"]: d["name"] for d in store.datasets()}
    jobs = store.jobs((JobStatus.DONE,), job_type="train", archived=False)
    runner = resources.runner()
    shown = {j.id: runner.folder(j.id).display_name(lang()) for j in jobs}  # in the reader's language
    counts: dict[str, int] = {}
    for name in shown.values():
        counts[name] = counts.get(name, 0) + 1
    groups: dict[str, RunGroup] = {}
    for j in jobs:  # newest first
        run = runner.folder(j.id)
        if j.dataset_id:
            key, name = j.dataset_id, names.get(j.dataset_id, _("a removed dataset"))
        else:
            data = run.data_path() if run.has_data_path() else ""
            key, name = NO_DATASET + data, Path(data).name or _("runs without a dataset")
        group = groups.setdefault(key, RunGroup(key, name))
        name = shown[j.id]
        group.runs[j.id] = name if counts[name] == 1 else f"{name} ({j.id[-6:]})"
        tag = run.data_version() if j.dataset_id else None
        if tag:
            group.version[j.id] = tag["version"]
    current = state.get(state.DATASET_ID)
    return dict(sorted(groups.items(), key=lambda kv: kv[0] != current))


def pick_group(store, empty_hint: str | None, key: str) -> RunGroup | None:
    """A "Dataset" picker over the groups (shown when there are several); None, or the hint and a stop, with
    no finished runs."""
    groups = run_groups(store)
    if not groups:
        if empty_hint is None:
            return None
        st.info(empty_hint)
        st.stop()
    if len(groups) == 1:
        return next(iter(groups.values()))
    names = {k: g.name for k, g in groups.items()}
    pick = st.selectbox(_("Dataset"), list(groups), format_func=names.get, key=key,
                        help=_("Runs are compared and used one dataset at a time."))
    if not pick.startswith(NO_DATASET):
        state.put(state.DATASET_ID, pick)
    return groups[pick]
