"""The layout rules DEVELOPERS.md states, enforced: core never imports streamlit;
pages, ui and app.py never import torch or transformers (directly or via core at import time)."""
from __future__ import annotations

import ast
import subprocess
import sys

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
    code = ("import sys, ui.state, ui.resources, core.store, core.jobs, core.prepare, core.charts, core.report;"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch loaded'")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
