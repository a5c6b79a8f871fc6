"""The audit log: who replayed or read which message, when and why — append-only, keyed chain.

Row ``n`` stores ``hash = HMAC-SHA256(key, prev_hash || canonical JSON of its fields)`` with
``prev_hash`` = the hash of row ``n-1`` (:data:`GENESIS` for the first) and ``hash_alg`` =
``hmac-sha256``. The key (``SAMFLYT_AUDIT_KEY``) is a deployment secret kept outside
PostgreSQL, so the table's owner, who can switch the append-only trigger off, cannot recompute
the chain of a row it rewrote. Rows written before the chain was keyed carry ``sha256`` (the
unkeyed hash); they are accepted only as the chain's beginning.

Each new row's (seq, hash) is also anchored outside PostgreSQL, on the compacted Kafka topic
``audit.anchor`` (:mod:`streams.audit_anchor`) that only the operator principal may write:
:func:`check_anchors` finds a chain that was rewritten by someone holding the key, or whose
newest rows were removed.

The actor is self-declared (``SAMFLYT_ACTOR`` or the OS user) until operators sign in with an
identity of their own: the log says who claimed to act, not who proved it.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

__all__ = [
    "ACTOR_NOTE",
    "GENESIS",
    "HMAC_SHA256",
    "SHA256",
    "AuditProblem",
    "actor",
    "append",
    "check_anchors",
    "check_chain",
    "head",
    "heads",
    "reason_text",
    "row_hash",
    "verify",
]

GENESIS = "0" * 64
HMAC_SHA256 = "hmac-sha256"
SHA256 = "sha256"  # rows written before the chain was keyed
ACTOR_NOTE = (
    "actors are self-declared (SAMFLYT_ACTOR or the OS user), not authenticated identities"
)
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


def _body(
    seq: int,
    at: datetime,
    who: str,
    action: str,
    message_id: str | None,
    target: str | None,
    reason: str,
    detail: dict[str, Any],
) -> str:
    return json.dumps(
        [seq, at.astimezone(UTC).isoformat(), who, action, message_id, target, reason, detail],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def row_hash(key: bytes | None, prev_hash: str, *fields: Any) -> str:
    """The row's link in the chain: HMAC-SHA256 with ``key``; plain SHA-256 (the rows from
    before the chain was keyed) when ``key`` is None. ``fields`` as :func:`_body` takes them."""
    message = (prev_hash + _body(*fields)).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def append(
    conn: asyncpg.Connection,
    *,
    key: bytes,
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
        digest = row_hash(key, prev, seq, at, who, action, message_id, target, reason, detail)
        await conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, message_id, target, reason, detail,"
            " prev_hash, hash, hash_alg)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)",
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
            HMAC_SHA256,
        )
    return int(seq)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    problem: str


def check_chain(rows: Iterable[Mapping[str, Any]], key: bytes) -> tuple[int, list[AuditProblem]]:
    """Re-compute the chain of ``rows`` (in ``seq`` order); returns (rows checked, problems).

    An unkeyed row is accepted only before the first keyed one: after it, an unkeyed row is
    one rewritten by someone without the key."""
    problems: list[AuditProblem] = []
    expected_seq, prev, keyed = 1, GENESIS, False
    count = 0
    for r in rows:
        count += 1
        seq = r["seq"]
        if seq != expected_seq:
            problems.append(AuditProblem(seq, f"rows {expected_seq}..{seq - 1} are missing"))
        if r["prev_hash"] != prev:
            problems.append(AuditProblem(seq, "chain broken: previous hash differs"))
        unkeyed = r["hash_alg"] == SHA256
        if unkeyed and keyed:
            problems.append(AuditProblem(seq, "row unkeyed after keyed rows: rewritten"))
        keyed = keyed or not unkeyed
        fields = (seq, r["at"], r["actor"], r["action"], r["message_id"], r["target"],
                  r["reason"], json.loads(r["detail"]))
        digest = row_hash(None if unkeyed else key, r["prev_hash"], *fields)
        if not hmac.compare_digest(digest, r["hash"]):
            problems.append(AuditProblem(seq, "row changed: hash does not match"))
        expected_seq, prev = seq + 1, r["hash"]
    return count, problems


def check_anchors(table: Mapping[int, str], anchors: Mapping[int, str]) -> list[AuditProblem]:
    """Compare the table's (seq → hash) with the heads anchored outside PostgreSQL: a row
    whose hash differs from its anchor was rewritten (the whole chain recomputed, with the key);
    an anchored row the table lacks was removed."""
    problems: list[AuditProblem] = []
    for seq in sorted(anchors):
        if seq not in table:
            problems.append(AuditProblem(seq, "anchored row is missing from the table"))
        elif not hmac.compare_digest(table[seq], anchors[seq]):
            problems.append(AuditProblem(seq, "row differs from its anchor: chain rewritten"))
    return problems


async def verify(conn: asyncpg.Connection, key: bytes) -> tuple[int, list[AuditProblem]]:
    """Re-compute the chain in the database; returns (rows checked, problems found)."""
    rows = await conn.fetch("SELECT * FROM audit_log ORDER BY seq")  # one snapshot
    return check_chain(rows, key)


async def heads(conn: asyncpg.Connection, seqs: Iterable[int] | None = None) -> dict[int, str]:
    """(seq → hash) of the rows ``seqs``, or of every row."""
    if seqs is None:
        rows = await conn.fetch("SELECT seq, hash FROM audit_log")
    else:
        rows = await conn.fetch("SELECT seq, hash FROM audit_log WHERE seq = ANY($1)", list(seqs))
    return {int(r["seq"]): str(r["hash"]) for r in rows}


async def head(conn: asyncpg.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry — the anchor to keep elsewhere."""
    row = await conn.fetchrow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (int(row["seq"]), str(row["hash"])) if row else (0, GENESIS)
