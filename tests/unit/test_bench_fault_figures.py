"""The fault run's figures: longest gap in output, recovery, log lines in the window."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.fault_figures import Window, gap_and_recovery, log_lines_between


def test_the_gap_runs_from_the_fault_and_recovery_ends_with_the_last_slow_input() -> None:
    sent = {"a": 99.0, "b": 100.0, "c": 101.0, "d": 109.0}
    out = {"a": 99.1, "b": 100.1, "c": 108.0, "d": 109.1}  # c held up 7 s by a fault at 100.5
    gap, recovered = gap_and_recovery(sent, out, Window(100.5, 100.5))
    assert round(gap, 1) == 7.5 and recovered == 108.0


def test_log_lines_are_counted_inside_the_window_with_what_the_outage_line_held_back(
    tmp_path: Path,
) -> None:
    def line(ts: str, **extra: object) -> str:
        return json.dumps({"ts": f"2026-01-01T00:00:{ts}+00:00", "msg": "m", **extra})

    log = tmp_path / "worker-0.log"
    log.write_text(
        "\n".join([line("01"), line("05", client_lines_held_back=3000), "a traceback", line("09")])
    )
    start = 1767225604.0  # 2026-01-01T00:00:04Z
    assert log_lines_between([log], start, start + 2) == (2, 3000)
