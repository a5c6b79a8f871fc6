"""The command line answers a missing file or an unreachable service with one line and exit
status 2, never a traceback; status 1 stays "the input was invalid"."""

from __future__ import annotations

import pytest

from streams.cli import main


def test_a_missing_file_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "/nonexistent/message.xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FileNotFoundError" in err and "Traceback" not in err


def test_an_unreachable_database_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMFLYT_DATABASE_URL", "postgresql://samflyt:hemmelig@127.0.0.1:1/x")
    assert main(["trace", "some-message-id"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "hemmelig" not in err
