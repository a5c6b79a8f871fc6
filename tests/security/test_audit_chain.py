"""The audit chain is keyed and anchored: a table rewritten by its owner does not verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from streams import audit

KEY = b"a-deployment-audit-key-of-32-bytes!"
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _chain(reasons: list[str], key: bytes | None) -> list[dict[str, Any]]:
    """Rows as ``append`` writes them (``key=None``: as an owner recomputes them unkeyed)."""
    rows, prev = [], audit.GENESIS
    for seq, reason in enumerate(reasons, start=1):
        at = START + timedelta(minutes=seq)
        fields = (seq, at, "sre", "dlq.show", f"m-{seq}", f"dl-{seq}", reason, {})
        digest = audit.row_hash(key, prev, *fields)
        rows.append({
            "seq": seq, "at": at, "actor": "sre", "action": "dlq.show", "message_id": f"m-{seq}",
            "target": f"dl-{seq}", "reason": reason, "detail": json.dumps({}), "prev_hash": prev,
            "hash": digest, "hash_alg": audit.SHA256 if key is None else audit.HMAC_SHA256,
        })
        prev = digest
    return rows


def _heads(rows: list[dict[str, Any]]) -> dict[int, str]:
    return {r["seq"]: r["hash"] for r in rows}


REASONS = ["incident 1", "incident 2", "incident 3"]


def test_an_intact_keyed_chain_verifies_and_matches_its_anchors() -> None:
    rows = _chain(REASONS, KEY)
    assert audit.check_chain(rows, KEY) == (3, [])
    assert audit.check_anchors(_heads(rows), _heads(rows)) == []


def test_a_row_rewritten_with_every_hash_recomputed_without_the_key_is_found() -> None:
    forged = _chain(["incident 1", "nothing to see", "incident 3"], None)
    for row in forged:
        row["hash_alg"] = audit.HMAC_SHA256  # claims to be keyed
    _, problems = audit.check_chain(forged, KEY)
    assert {p.seq for p in problems} == {1, 2, 3}


def test_unkeyed_rows_after_keyed_ones_are_a_rewrite() -> None:
    rows = _chain(REASONS, KEY)
    tail = _chain(REASONS, None)[2]
    tail["prev_hash"] = rows[1]["hash"]
    _, problems = audit.check_chain([*rows[:2], tail], KEY)
    assert any("unkeyed after keyed" in p.problem for p in problems)


def test_a_table_rewritten_as_an_unkeyed_chain_differs_from_its_anchors() -> None:
    anchored = _heads(_chain(REASONS, KEY))
    forged = _chain(["incident 1", "nothing to see", "incident 3"], None)
    assert audit.check_chain(forged, KEY)[1] == []  # an unkeyed beginning passes on its own
    problems = audit.check_anchors(_heads(forged), anchored)
    assert {p.seq for p in problems} == {1, 2, 3}


def test_removing_the_newest_rows_is_found_by_their_anchors() -> None:
    rows = _chain(REASONS, KEY)
    problems = audit.check_anchors(_heads(rows[:1]), _heads(rows))
    assert [(p.seq, p.problem) for p in problems] == [
        (2, "anchored row is missing from the table"),
        (3, "anchored row is missing from the table"),
    ]
