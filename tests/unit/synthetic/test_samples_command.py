"""``samflyt samples write DIR``: the sample messages a connector author starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sdk.testing import why_unreadable
from streams.cli import main


def test_samples_write_puts_every_scenario_into_the_folder_as_messages_samflyt_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "samples"
    assert main(["samples", "write", str(out), "--count", "40"]) == 0
    files = sorted(out.glob("*.xml"))
    assert len(files) == 40
    assert f"wrote 40 sample messages to {out}" in capsys.readouterr().out
    assert any("welfare-alarm" in f.name for f in files)
    for f in files:
        if "-13-dead-letter-" not in f.name:  # bad on purpose
            assert why_unreadable(f.read_bytes()) is None, f.name


def test_why_unreadable_names_the_apprec_code_the_pipeline_would_dead_letter_with() -> None:
    assert (why_unreadable(b'{"id": 1, "kind": "fall"}') or "").startswith("T01 ")
    assert (why_unreadable(b"<alarm/>") or "").startswith("T10 ")
