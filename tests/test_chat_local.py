"""core.chat.local: the Chat page's models come from the operator's folder or the Hub, never from a typed path."""
from __future__ import annotations

import pytest

from core.chat import local
from core.errors import DataError
from tests.conftest import ROOT


def test_installed_models_are_gguf_files_and_model_folders(tmp_path, monkeypatch):
    (tmp_path / "b-small.gguf").write_bytes(b"GGUF")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-folder" / "config.json").write_text("{}")
    (tmp_path / "no-config").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "a-folder" / "nested.gguf").write_bytes(b"GGUF")  # only the folder's own entries count
    monkeypatch.setenv(local.CHAT_MODELS_ENV, str(tmp_path))
    assert local.local_models() == {"a-folder": tmp_path / "a-folder", "b-small.gguf": tmp_path / "b-small.gguf"}
    assert local.local_models(tmp_path / "missing") == {}


def test_the_default_folder_is_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(local.CHAT_MODELS_ENV, raising=False)
    monkeypatch.setenv("TUNELAB_DATA_DIR", str(tmp_path))
    assert local.models_folder() == tmp_path / "chat_models"


@pytest.mark.parametrize("typed", ["../../etc/passwd", "/etc/passwd", "owner/name/extra", "justaname", "owner/..",
                                   "C:\\models\\x", "~/model", "owner/na me", ""])
def test_anything_but_a_hub_id_is_refused(typed):
    with pytest.raises(DataError, match="is not a Hugging Face Hub model id"):
        local.hub_model(typed)


def test_a_hub_id_is_never_read_as_a_folder_here(monkeypatch):
    monkeypatch.chdir(ROOT)  # 'core/chat' is a folder relative to here, and has the shape of a Hub id
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="Hub downloads are switched off"):
        local.hub_model("core/chat")


def test_a_cached_hub_model_loads_offline_from_the_cache(tmp_path, monkeypatch):
    from huggingface_hub import constants

    snapshot = tmp_path / "models--owner--tiny-chat" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "models--owner--tiny-chat" / "refs").mkdir()
    (tmp_path / "models--owner--tiny-chat" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert local.hub_model(" owner/tiny-chat ") == snapshot
