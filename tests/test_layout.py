"""The layout rules DEVELOPERS.md states, enforced: core never imports streamlit;
pages, ui and app.py never import torch or transformers (directly or via core at import
time); no import cycle inside core/, function-level imports included; run-folder file
names are known to core/runs.py alone, a dataset folder's to core/data/folder.py."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split(".")[0]


def test_core_never_imports_streamlit():
    bad = [p.name for p in (ROOT / "core").rglob("*.py") if "streamlit" in set(imports(p))]
    assert not bad, bad


def test_pages_and_ui_never_import_torch_or_transformers():
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    assert len(files) > 3
    bad = [p.name for p in files if {"torch", "transformers"} & set(imports(p))]
    assert not bad, bad


def test_ui_modules_import_without_loading_torch():
    code = ("import sys, ui.state, ui.resources, core.store, core.jobs, core.data.cleaning, core.charts, core.report,"
            " core.contenders.registry, core.runs, core.cli; core.cli.build_parser();"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch loaded'")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_graph() -> dict[str, set[str]]:
    """Module -> the core modules it imports anywhere in its body (function-level imports too)."""
    modules = {module_name(p): p for p in (ROOT / "core").rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from core import charts` imports the module core.charts; `from core.x import f`, core.x
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_inside_core():
    graph = core_graph()
    assert {"core.runs", "core.contenders.registry", "core.chat.base", "core.chat.loader", "core.data.versions",
            "core.trust.explain", "core.deploy.api", "core.data.cli", "core.trust.cli", "core.deploy.cli"} <= set(graph)
    assert "core.chat.llamacpp" in graph["core.chat.loader"]  # function-level imports are seen
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_run_folder_file_names_live_in_runs_only():
    names = re.compile(r"[\"'](metrics\.json|predictions\.parquet|progress\.jsonl|data_path\.txt|worker\.log)[\"']")
    bad = [str(p.relative_to(ROOT)) for p in [*(ROOT / "core").rglob("*.py"), *(ROOT / "ui").glob("*.py"),
                                              *(ROOT / "pages").glob("*.py")]
           if p.name != "runs.py" and names.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_dataset_folder_file_names_live_in_its_folder_module_only():
    names = re.compile(r"[\"'](cleaned\.parquet|report\.json|rows\.parquet|changes\.jsonl|meta\.json|pending\.jsonl|"
                       r"handled\.jsonl|decisions\.jsonl)[\"']")
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")]
    bad = [str(p.relative_to(ROOT)) for p in files
           if p.relative_to(ROOT).as_posix() != "core/data/folder.py" and names.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad


def test_nothing_outside_the_registry_branches_on_a_contender_kind():
    kind_test = re.compile(r"""(model|kind)\s*[!=]=\s*["'](baseline|embeddings|finetune)["']""")
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py")]
    bad = [str(p.relative_to(ROOT)) for p in files if kind_test.search(p.read_text(encoding="utf-8"))]
    assert not bad, bad
