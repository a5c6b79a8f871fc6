"""The audit log: who replayed or read which message, when and why — append-only, hash-chained.

Row ``n`` stores ``hash = sha256(prev_hash || canonical JSON of its fields)`` with
``prev_hash`` = the hash of row ``n-1`` (:data:`GENESIS` for the first). The table refuses
UPDATE, DELETE and TRUNCATE by trigger; :func:`verify` detects what a privileged user could
still do around that: a changed row, a deleted row (a gap in ``seq`` or a broken chain).
Deleting the newest rows leaves a valid shorter chain; export :func:`head` regularly (e.g. to
the log) to detect that too.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

__all__ = [
    "GENESIS",
    "AuditProblem",
    "actor",
    "append",
    "head",
    "reason_text",
    "row_hash",
    "verify",
]

GENESIS = "0" * 64
_LOCK_ID = 0x5A4D_A0D1  # serialises writers so the chain has one order


def actor() -> str:
    """Who is acting: ``SAMFLYT_ACTOR`` when set (e.g. by a bastion), else the OS user."""
    return os.environ.get("SAMFLYT_ACTOR") or getpass.getuser()


def reason_text(reason: str) -> str:
    """The reason as the log keeps it, checked before anything is done in its name.

    It must say something, and be text: an argument in another encoding than UTF-8 reaches
    Python as undecodable surrogates, which can be neither stored nor hashed. Found only when
    the entry was written, it failed a replay after the message was already sent."""
    text = reason.strip()
    if not text:
        raise ValueError("a reason is required (--why): it is kept in the audit log")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the reason (--why) is not UTF-8 text") from None
    return text


def row_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    who: str,
    action: str,
    message_id: str | None,
    target: str | None,
    reason: str,
    detail: dict[str, Any],
) -> str:
    body = json.dumps(
        [seq, at.astimezone(UTC).isoformat(), who, action, message_id, target, reason, detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


async def append(
    conn: asyncpg.Connection,
    *,
    action: str,
    reason: str,
    message_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    who: str | None = None,
) -> int:
    """Append one entry (in its own transaction unless one is open); returns its ``seq``."""
    detail = detail or {}
    who = who or actor()
    reason = reason_text(reason)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
        last = await conn.fetchrow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq = (last["seq"] if last else 0) + 1
        prev = last["hash"] if last else GENESIS
        at = datetime.now(UTC)
        digest = row_hash(prev, seq, at, who, action, message_id, target, reason, detail)
        await conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, message_id, target, reason, detail,"
            " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)",
            seq,
            at,
            who,
            action,
            message_id,
            target,
            reason,
            json.dumps(detail, sort_keys=True),
            prev,
            digest,
        )
    return int(seq)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    problem: str


async def verify(conn: asyncpg.Connection) -> tuple[int, list[AuditProblem]]:
    """Re-compute the chain; returns (rows checked, problems found)."""
    problems: list[AuditProblem] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for r in await conn.fetch("SELECT * FROM audit_log ORDER BY seq"):  # one snapshot
        count += 1
        if r["seq"] != expected_seq:
            problems.append(
                AuditProblem(r["seq"], f"rows {expected_seq}..{r['seq'] - 1} are missing")
            )
        if r["prev_hash"] != prev:
            problems.append(AuditProblem(r["seq"], "chain broken: previous hash differs"))
        digest = row_hash(
            r["prev_hash"],
            r["seq"],
            r["at"],
            r["actor"],
            r["action"],
            r["message_id"],
            r["target"],
            r["reason"],
            json.loads(r["detail"]),
        )
        if digest != r["hash"]:
            problems.append(AuditProblem(r["seq"], "row changed: hash does not match"))
        expected_seq, prev = r["seq"] + 1, r["hash"]
    return count, problems


async def head(conn: asyncpg.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry — the anchor to keep elsewhere."""
    row = await conn.fetchrow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (int(row["seq"]), str(row["hash"])) if row else (0, GENESIS)
