"""``samflyt trace MESSAGE_ID``: one message's journey, in order, with the time each hop took."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["Journey", "format_json", "format_text", "load_journey"]

_ORDER = {
    "received": 0,
    "replayed": 0,
    "validated": 1,
    "rejected": 1,
    "deadlettered": 2,
    "routed": 2,
    "refused": 2,
    "delivered": 3,
    "receipt": 4,
    "answered": 5,
    "overdue": 5,
}


@dataclass(frozen=True, slots=True)
class Step:
    step: str
    at: datetime
    stage: str
    attempt: int
    msg_type: str | None
    sender: str | None
    recipient: str | None
    reason: str | None
    trace_id: str | None
    detail: dict[str, Any]
    since_previous_ms: float | None
    recipient_key: str | None = None  # the citizen a citizen-portal step is for (pseudonym)


@dataclass(frozen=True, slots=True)
class Journey:
    message_id: str
    steps: list[Step]

    @property
    def trace_ids(self) -> list[str]:
        return sorted({s.trace_id for s in self.steps if s.trace_id})

    @property
    def receipt_status(self) -> str | None:
        statuses = [s.reason for s in self.steps if s.step == "receipt" and s.reason]
        return statuses[-1] if statuses else None


async def load_journey(conn: asyncpg.Connection, message_id: str) -> Journey:
    wanted = message_id.strip()
    records = await conn.fetch(
        "SELECT * FROM message_journey WHERE message_id = ANY($1::text[])",
        list({wanted, wanted.lower()}),
    )
    rows = sorted(records, key=lambda r: (r["attempt"], r["at"], _ORDER.get(r["step"], 9)))
    steps: list[Step] = []
    previous: datetime | None = None
    for r in rows:
        since = (r["at"] - previous).total_seconds() * 1000 if previous else None
        steps.append(
            Step(
                r["step"],
                r["at"],
                r["stage"],
                r["attempt"],
                r["msg_type"],
                r["sender_her_id"],
                r["recipient_her_id"],
                r["reason"],
                r["trace_id"],
                json.loads(r["detail"]) if isinstance(r["detail"], str) else dict(r["detail"]),
                since,
                r["recipient_key"],
            )
        )
        previous = r["at"] if previous is None or r["at"] > previous else previous
    return Journey(wanted.lower(), steps)


def _describe(s: Step) -> str:
    # a citizen is shown by the start of their pseudonymous key: enough to tell two apart
    to = f"{s.recipient} (citizen {s.recipient_key[:12]})" if s.recipient_key else s.recipient
    if s.step == "routed":
        return f"to {to} because {s.reason} ({s.detail.get('topic')})"
    if s.step == "refused":
        extra = f": {s.detail['detail']}" if s.detail.get("detail") else ""
        return f"not to {to}: {s.reason}{extra}"
    if s.step == "delivered":
        return f"to {to} by {s.detail.get('connector')} ({s.detail.get('lane')})"
    if s.step == "receipt":
        return f"AppRec {s.reason} from {s.recipient} to {s.sender} ({s.detail.get('source')})"
    if s.step == "deadlettered":
        return f"{s.reason} [{s.detail.get('reason_code')}] {s.detail.get('detail') or ''}".strip()
    if s.step == "replayed":
        return f"replay of {s.detail.get('dead_letter_id')} by {s.detail.get('actor')}"
    if s.step == "overdue":
        return f"no answer from {s.recipient} by {s.detail.get('deadline')}"
    if s.step == "answered":
        return f"answered by {s.detail.get('answer_message_id')} from {s.recipient}"
    if s.step in ("received", "validated"):
        return f"{s.msg_type or '?'} from {s.sender or '?'} to {s.recipient or '?'}"
    return s.reason or ""


def format_text(journey: Journey) -> str:
    if not journey.steps:
        return f"message {journey.message_id}: no journey recorded"
    lines = [
        f"message  {journey.message_id}",
        f"trace    {', '.join(journey.trace_ids) or '-'}",
        f"receipt  {journey.receipt_status or '-'}",
    ]
    for s in journey.steps:
        delta = "" if s.since_previous_ms is None else f"{s.since_previous_ms:+,.0f} ms"
        lines.append(
            f"  {s.at.isoformat(timespec='milliseconds')}  {delta:>12}  #{s.attempt} "
            f"{s.step:<12} {_describe(s)}"
        )
    return "\n".join(lines)


def format_json(journey: Journey) -> str:
    return json.dumps(
        {
            "message_id": journey.message_id,
            "trace_ids": journey.trace_ids,
            "receipt_status": journey.receipt_status,
            "steps": [
                {
                    "step": s.step,
                    "at": s.at.isoformat(),
                    "since_previous_ms": s.since_previous_ms,
                    "stage": s.stage,
                    "attempt": s.attempt,
                    "msg_type": s.msg_type,
                    "sender_her_id": s.sender,
                    "recipient_her_id": s.recipient,
                    "recipient_key": s.recipient_key,
                    "reason": s.reason,
                    "trace_id": s.trace_id,
                    "detail": s.detail,
                }
                for s in journey.steps
            ],
        },
        indent=2,
    )
