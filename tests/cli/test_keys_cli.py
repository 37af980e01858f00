"""``policyguard keys new DIR`` and ``keys show``: in-process for the details, one subprocess for the
installed command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from commands import installed

from scrapy_policyguard.cli.keys import DIRECTORY_FILE, KEY_FILE
from scrapy_policyguard.cli.main import main
from scrapy_policyguard.core.webbotauth import BotKey


def test_new_writes_a_private_key_and_the_directory_to_publish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "keys"
    assert main(["keys", "new", str(folder)]) == 0
    out = capsys.readouterr().out
    key = BotKey.load(folder / KEY_FILE)
    assert (folder / KEY_FILE).stat().st_mode & 0o777 == 0o600
    directory = json.loads((folder / DIRECTORY_FILE).read_text("utf-8"))
    assert directory == {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": key.x, "kid": key.thumbprint}]}
    assert "d" not in directory["keys"][0]
    assert key.thumbprint in out
    assert "/.well-known/http-message-signatures-directory" in out
    assert "application/http-message-signatures-directory+json" in out


def test_new_never_replaces_a_key_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "new", str(tmp_path)]) == 0
    first = (tmp_path / KEY_FILE).read_bytes()
    assert main(["keys", "new", str(tmp_path)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert (tmp_path / KEY_FILE).read_bytes() == first
    assert main(["keys", "new", str(tmp_path), "--force"]) == 0
    assert (tmp_path / KEY_FILE).read_bytes() != first


def test_show_prints_the_thumbprint_and_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = BotKey.generate()
    path = tmp_path / "bot.pem"
    path.write_bytes(key.pem())
    assert main(["keys", "show", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == key.directory()
    monkeypatch.setenv("POLICYGUARD_SIGNING_KEY", str(path))
    assert main(["keys", "show"]) == 0
    assert f"keyid (JWK thumbprint): {key.thumbprint}" in capsys.readouterr().out
    monkeypatch.delenv("POLICYGUARD_SIGNING_KEY")
    assert main(["keys", "show"]) == 2
    assert main(["keys", "show", str(tmp_path / "none.pem")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_installed_command(tmp_path: Path) -> None:
    run = installed("keys", "new", tmp_path)
    assert run.code == 0, run.err
    shown = installed("keys", "show", tmp_path / KEY_FILE, "--json")
    assert shown.code == 0, shown.err
    assert shown.json == json.loads((tmp_path / DIRECTORY_FILE).read_text("utf-8"))
