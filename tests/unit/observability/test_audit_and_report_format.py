"""The audit hash covers every field; the report formats as table, CSV and JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from streams import dlq
from streams.audit import GENESIS, reason_text, row_hash
from streams.report import COLUMNS, format_report

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KEY = b"k" * 32
ROW = (GENESIS, 1, AT, "sre", "dlq.show", "m-1", "dl-1", "incident", {"attempt": 2})


def test_the_hash_changes_with_any_field_and_with_the_previous_hash() -> None:
    base = row_hash(KEY, *ROW)
    for index, changed in [
        (0, "1" * 64),
        (1, 2),
        (3, "other"),
        (4, "dlq.replay"),
        (5, "m-2"),
        (7, "because"),
        (8, {"attempt": 3}),
    ]:
        fields = list(ROW)
        fields[index] = changed
        assert row_hash(KEY, *fields) != base, index
    assert row_hash(KEY, *ROW) == base


def test_report_formats() -> None:
    rows = [
        {
            "municipality": "0301",
            "msg_type": "SVAR_LAB",
            "volume": 4,
            "rejected": 1,
            "share_rejected": 0.25,
            "median_s_to_apprec": 1.5,
            "p95_s_to_apprec": None,
            "unanswered": 0,
            "waiting_after_ready": 0,
        }
    ]
    assert json.loads(format_report(rows, "json")) == rows
    csv_text = format_report(rows, "csv")
    assert csv_text.splitlines()[0] == ",".join(COLUMNS)
    table = format_report(rows, "table")
    assert "0301" in table and "25.0%" in table and "-" in table


def test_the_report_table_keeps_wide_figures_apart_under_their_headers() -> None:
    row = {
        "municipality": "5401",
        "msg_type": "DIALOG_HELSEFAGLIG",
        "volume": 2,
        "rejected": 1,
        "share_rejected": 0.5,
        "median_s_to_apprec": 79293804.7,
        "p95_s_to_apprec": 79295008.0,
        "unanswered": 12345678901,
        "waiting_after_ready": 0,
    }
    header, line = format_report([row], "table").splitlines()
    assert line.split() == [
        "5401", "DIALOG_HELSEFAGLIG", "2", "1", "50.0%", "79293804.7", "79295008.0",
        "12345678901", "0",
    ]  # fmt: skip
    # each figure ends where its column's header ends
    for name, value in (("share", "50.0%"), ("median s", "79293804.7"), ("p95 s", "79295008.0")):
        assert header.index(name) + len(name) == line.index(value) + len(value)


def test_a_reason_that_is_blank_or_not_text_is_refused_before_anything_is_done() -> None:
    assert reason_text("  incident 42 ") == "incident 42"
    undecodable = b"hendelse \xe6".decode("utf-8", "surrogateescape")  # Latin-1 in argv
    for bad in ("", "   ", undecodable):
        with pytest.raises(ValueError, match="reason"):
            reason_text(bad)
    # a replay checks it first: no database or broker is touched
    nothing: Any = None
    with pytest.raises(ValueError, match="UTF-8"):
        asyncio.run(dlq.replay(nothing, nothing, ids=["x"], why=undecodable))
    with pytest.raises(ValueError, match="UTF-8"):
        asyncio.run(dlq.show(nothing, nothing, "x", why=undecodable))


def test_report_times_without_an_offset_are_norwegian_time() -> None:
    from streams.ops_cli import report_time

    assert report_time("2026-11-01") == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET
    assert report_time("2026-07-01T00:00") == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # CEST
    assert report_time("2026-11-01T00:00+00:00") == datetime(2026, 11, 1, tzinfo=UTC)
