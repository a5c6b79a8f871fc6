"""`samflyt dlq list` as text: a header line, sender and receiver, Norwegian time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from streams.dlq import LIST_HEADER, format_list


def test_the_list_has_headers_sender_receiver_and_norwegian_time() -> None:
    row = {
        "dead_letter_id": uuid.UUID("6f1c2d0e-0000-4000-8000-000000000001"),
        "failed_at": datetime(2026, 7, 1, 10, 0, 5, tzinfo=UTC),  # summer: 12:00:05 in Norway
        "stage": "INGEST",
        "reason": "OTHER",
        "reason_code": "bad-alarm",
        "msg_type": None,
        "sender_her_id": "6501000",
        "recipient_her_id": "6501010",
        "journey_id": "a-1",
        "replays": 0,
    }
    header, line = format_list([row]).splitlines()
    assert header.split("  ")[0].strip() == "dead letter"
    assert "failed (Norwegian time)" in header and "receiver" in header
    for name, value in (("sender", "6501000"), ("receiver", "6501010"), ("code", "bad-alarm")):
        assert line.index(value) == header.index(name)
    assert "2026-07-01 12:00:05" in line
    assert len(LIST_HEADER) == 10
