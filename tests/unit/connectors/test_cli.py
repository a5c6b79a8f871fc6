from __future__ import annotations

from pathlib import Path

import pytest

from connectors.cli import main


def test_check_prints_every_problem_naming_each_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("inbox: /does/not/exist\nstable_for: -2\nsurplus: 1\n")
    status = main(["check", "connectors.epj.filedrop:FileDropSource", "--config", str(cfg)])
    err = capsys.readouterr().err
    assert status == 2
    for setting in ("topic", "inbox", "stable_for", "surplus"):
        assert f"- {setting}:" in err


def test_check_accepts_a_valid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"topic: samflyt.raw.epj\ninbox: {tmp_path}\nsender_her_ids: ['56704']\n")
    assert main(["check", "connectors.epj.filedrop:FileDropSource", "--config", str(cfg)]) == 0
    assert "valid" in capsys.readouterr().out


def test_unknown_connector_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("{}")
    assert main(["check", "no-such-connector", "--config", str(cfg)]) == 1
    assert "no connector named" in capsys.readouterr().err


def test_list_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert capsys.readouterr().out
