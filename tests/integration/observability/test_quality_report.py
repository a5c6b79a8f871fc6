"""The quality report over a traffic mix with known answers, written through the same journey
mapping and store the journey recorder uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from streams.journey.rows import JourneyRow, rows_for
from streams.journey.store import insert_rows
from streams.report import quality_report

T0 = datetime(2001, 5, 1, 8, 0, tzinfo=UTC)  # a period no other test writes to


def _event(
    mid: str,
    msg_type: str,
    sender: str,
    receiver: str,
    at: datetime,
    patient: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    return {
        "message_id": mid,
        "msg_type": msg_type,
        "generated_at": at,
        "received_at": at,
        "sender": {"her_id": sender},
        "receiver": {"her_id": receiver},
        "conversation_id": parent,
        "refers_to_parent": parent,
        "patient": {"patient_key": patient} if patient else None,
        "is_test": False,
        "payload": ("x", {}),
    }


def _receipt(mid: str, msg_type: str, at: datetime, status: str = "OK") -> dict[str, Any]:
    return {
        "info": {
            "status": status,
            "errors": [],
            "original": {"message_id": mid, "msg_type": msg_type},
        },
        "generated_at": at,
        "sender": {"her_id": "x"},
        "receiver": {"her_id": "y"},
        "patient_key": None,
    }


def _dead(mid: str, msg_type: str, sender: str, at: datetime) -> dict[str, Any]:
    return {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": at,
        "stage": "VALIDATE",
        "reason": "UNKNOWN_RECEIVER",
        "reason_code": "E21",
        "detail": "",
        "message_id": mid,
        "msg_type": msg_type,
        "sender_her_id": sender,
        "origin": {"topic": "raw.epj", "timestamp": at, "headers": []},
    }


def _overdue(mid: str, msg_type: str, sender: str, receiver: str, at: datetime) -> dict[str, Any]:
    return {
        "request_message_id": mid,
        "request_msg_type": msg_type,
        "raised_at": at,
        "deadline": at,
        "sender": {"her_id": sender},
        "awaited_from": {"her_id": receiver},
        "conversation_id": None,
        "patient_key": None,
    }


async def _parties(db: asyncpg.Connection, run: str) -> dict[str, str]:
    ids = {
        "oslo_hc": f"{run}1",
        "bergen_hc": f"{run}2",
        "hospital": f"{run}3",
        "oslo_office": f"{run}4",
    }
    rows = [
        (ids["oslo_hc"], "municipal", "0301"),
        (ids["bergen_hc"], "municipal", "4601"),
        (ids["hospital"], "specialist", None),
        (ids["oslo_office"], "municipal", "0301"),
    ]
    await db.executemany(
        "INSERT INTO parties (her_id, name, kind, care_level, municipality_code)"
        " VALUES ($1, 'test party', 'test', $2, $3)",
        rows,
    )
    return ids


async def test_quality_report_matches_the_known_answers(db: asyncpg.Connection) -> None:
    run = str(80000 + uuid.uuid4().int % 10000)
    p = await _parties(db, run)
    records: list[tuple[str, dict[str, Any]]] = []
    # Oslo dialogue: 4 messages, AppRec after 10, 20, 30 and 100 s; one rejected; one unanswered
    for i, delay in enumerate((10, 20, 30, 100)):
        at = T0 + timedelta(minutes=i)
        mid = f"{run}-oslo-{i}"
        if i == 3:
            records.append(("DeadLetter", _dead(mid, "DIALOG_HELSEFAGLIG", p["oslo_hc"], at)))
        else:
            records.append(
                (
                    "CanonicalEvent",
                    _event(mid, "DIALOG_HELSEFAGLIG", p["oslo_hc"], p["hospital"], at),
                )
            )
        records.append(
            ("Receipt", _receipt(mid, "DIALOG_HELSEFAGLIG", at + timedelta(seconds=delay)))
        )
    records.append(
        (
            "Overdue",
            _overdue(
                f"{run}-oslo-0",
                "DIALOG_HELSEFAGLIG",
                p["oslo_hc"],
                p["hospital"],
                T0 + timedelta(hours=4),
            ),
        )
    )
    # ...request 1 went overdue too, but was answered afterwards: not unanswered
    records.append(
        (
            "Overdue",
            _overdue(
                f"{run}-oslo-1",
                "DIALOG_HELSEFAGLIG",
                p["oslo_hc"],
                p["hospital"],
                T0 + timedelta(hours=4),
            ),
        )
    )
    records.append(
        (
            "CanonicalEvent",
            _event(
                f"{run}-answer",
                "DIALOG_HELSEFAGLIG",
                p["hospital"],
                p["oslo_hc"],
                T0 + timedelta(hours=5),
                parent=f"{run}-oslo-1",
            ),
        )
    )
    # ready for discharge, Oslo: patient A is discharged afterwards, B is still waiting;
    # Bergen: patient C was discharged *before* being reported ready again, so C waits
    ready = "LOG_UTSKRIVNINGSKLAR"
    for mid, patient, at in ((f"{run}-ra", "A", 1), (f"{run}-rb", "B", 2)):
        records.append(
            (
                "CanonicalEvent",
                _event(
                    mid,
                    ready,
                    p["hospital"],
                    p["oslo_office"],
                    T0 + timedelta(hours=at),
                    patient=run + patient,
                ),
            )
        )
    records.append(
        (
            "CanonicalEvent",
            _event(
                f"{run}-da",
                "UTSKRIVNINGSRAPPORT",
                p["hospital"],
                p["oslo_hc"],
                T0 + timedelta(hours=3),
                patient=run + "A",
            ),
        )
    )
    records.append(
        (
            "CanonicalEvent",
            _event(
                f"{run}-dc",
                "UTSKRIVNINGSRAPPORT",
                p["hospital"],
                p["bergen_hc"],
                T0 + timedelta(hours=1),
                patient=run + "C",
            ),
        )
    )
    records.append(
        (
            "CanonicalEvent",
            _event(
                f"{run}-rc",
                ready,
                p["hospital"],
                p["bergen_hc"],
                T0 + timedelta(hours=2),
                patient=run + "C",
            ),
        )
    )
    rows: list[JourneyRow] = []
    for name, record in records:
        rows += rows_for(name, record, trace_id=None, written_at=T0)
    await insert_rows(db, rows)
    await insert_rows(db, rows)  # redelivered: changes nothing

    report = await quality_report(db, T0, T0 + timedelta(days=1))
    ours = {(r["municipality"], r["msg_type"]): r for r in report}
    dialog = ours[("0301", "DIALOG_HELSEFAGLIG")]
    assert dialog["volume"] == 5  # four requests and the answer
    assert dialog["rejected"] == 1 and dialog["share_rejected"] == 0.2
    assert dialog["median_s_to_apprec"] == 25.0  # of 10, 20, 30, 100
    assert dialog["p95_s_to_apprec"] == 89.5  # linear interpolation: 30 + 0.85 * 70
    assert dialog["unanswered"] == 1
    assert ours[("0301", ready)]["waiting_after_ready"] == 1
    assert ours[("0301", ready)]["volume"] == 2
    assert ours[("4601", ready)]["waiting_after_ready"] == 1
    assert ours[("0301", "UTSKRIVNINGSRAPPORT")]["waiting_after_ready"] == 0
    assert await quality_report(db, T0 - timedelta(days=2), T0 - timedelta(days=1)) == []
