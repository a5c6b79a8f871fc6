"""The benchmark's national-average phase and the headroom lines it adds to the report."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.run import national_average, parse_args, print_headroom


def test_the_national_average_phase_offers_ten_messages_a_second_for_its_seconds() -> None:
    plan = national_average(parse_args(["--average-seconds", "12"]))
    assert (plan.rate, plan.count) == (10.0, 120)
    assert plan.name == "national average 10/s"


def test_headroom_reports_what_the_workers_cost_at_the_national_average(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [
        ("work baseline (1 process)", {"msgs_per_s": 700.0}),
        ("pipeline at_least_once 2w saturation", {"msgs_per_s": 140.0}),
        (
            "pipeline at_least_once 2w national average 10/s",
            {
                "worker_cpu_pct_of_machine": 7.5,
                "cpu_s_per_1000": 15.0,
                "p50_ms": 21.0,
                "p99_ms": 48.0,
            },
        ),
    ]
    result: dict[str, Any] = {}
    print_headroom(rows, result)
    out = capsys.readouterr().out
    assert "0.9x Norway's peak" in out and "20 % of the one-process work baseline" in out
    assert "at Norway's average (10/s): the workers use 8 % of the machine" in out
    assert "(15.0 CPU-ms per input), p50/p99 21/48 ms" in out
    assert result["headroom"]["national_average_p99_ms"] == 48.0
    assert result["headroom"]["national_average_worker_cpu_pct"] == 7.5


def test_headroom_without_an_average_phase_says_nothing_about_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result: dict[str, Any] = {}
    print_headroom([("pipeline at_least_once 2w saturation", {"msgs_per_s": 150.0})], result)
    assert "average (10/s):" not in capsys.readouterr().out
    assert "national_average_p99_ms" not in result["headroom"]
