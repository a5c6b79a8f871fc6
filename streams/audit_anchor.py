"""The audit chain's anchor outside PostgreSQL: each row's (seq, hash) on a compacted topic.

The topic ``audit.anchor`` is written only by the operator principal (the one that writes
audit rows) and keyed by ``seq``, so compaction keeps one record per row and never drops one.
The database owner cannot reach it: a chain it rewrote, even with the key, or whose newest rows
it removed, no longer matches (:func:`streams.audit.check_anchors`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer

from connectors.kafka_security import start_client
from streams import audit
from streams.admin import partitions_of
from streams.harness import producer_for
from streams.principals import OPERATOR
from streams.settings import Settings

__all__ = [
    "ANCHOR_TOPIC",
    "AnchoredVerdict",
    "anchor_new",
    "anchor_record",
    "publish",
    "read_anchor",
    "read_anchors",
    "verify_anchored",
]

ANCHOR_TOPIC = "audit.anchor"


def anchor_record(seq: int, digest: str) -> tuple[bytes, bytes]:
    """The (key, value) anchoring row ``seq``."""
    return str(seq).encode(), json.dumps({"seq": seq, "hash": digest}).encode()


def read_anchor(value: bytes | None) -> tuple[int, str] | None:
    """(seq, hash) of an anchor record; None for one that is not an anchor."""
    try:
        data = json.loads(value or b"")
        return int(data["seq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError):
        return None


async def publish(settings: Settings, heads: Mapping[int, str]) -> None:
    """Anchor each (seq → hash), acknowledged by every in-sync replica."""
    if not heads:
        return
    producer = producer_for(settings)
    await start_client(producer, settings.kafka(OPERATOR))
    try:
        for seq, digest in sorted(heads.items()):
            key, value = anchor_record(seq, digest)
            await producer.send_and_wait(settings.topic(ANCHOR_TOPIC), value, key=key)
    finally:
        await producer.stop()


async def anchor_new(settings: Settings, conn: asyncpg.Connection, after: int) -> None:
    """Anchor every audit row after ``after`` (the head before a command wrote its rows).

    Called once the rows are committed; a failure here is raised, so the command fails
    loudly rather than leave its rows unanchored unseen."""
    rows = await conn.fetch("SELECT seq, hash FROM audit_log WHERE seq > $1", after)
    await publish(settings, {int(r["seq"]): str(r["hash"]) for r in rows})


async def read_anchors(settings: Settings) -> dict[int, str]:
    """Every anchored (seq → hash), read from the beginning of the topic to its end."""
    consumer = AIOKafkaConsumer(**settings.kafka(OPERATOR).options(), enable_auto_commit=False)
    await start_client(consumer, settings.kafka(OPERATOR))
    anchors: dict[int, str] = {}
    try:
        if settings.topic(ANCHOR_TOPIC) not in await consumer.topics():
            return anchors  # never created: nothing anchored (verify says so)
        parts = partitions_of(settings, [ANCHOR_TOPIC])
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        pending = {tp for tp in parts if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    if (anchor := read_anchor(record.value)) is not None:
                        anchors[anchor[0]] = anchor[1]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return anchors


@dataclass(frozen=True, slots=True)
class AnchoredVerdict:
    checked: int
    anchored: int
    unanchored: tuple[int, ...]  # rows written while the anchor could not be reached, or older
    problems: tuple[audit.AuditProblem, ...]


async def verify_anchored(settings: Settings, conn: asyncpg.Connection) -> AnchoredVerdict:
    """The keyed chain re-computed, and compared with its anchors outside PostgreSQL."""
    key = settings.audit_key.get_secret_value().encode()
    count, problems = await audit.verify(conn, key)
    table = await audit.heads(conn)
    anchors = await read_anchors(settings)
    problems += audit.check_anchors(table, anchors)
    if table and not anchors:
        problems.append(audit.AuditProblem(
            0, f"no anchor on {ANCHOR_TOPIC}: a rewritten or shortened chain cannot be told"
            " from a true one"))
    unanchored = tuple(sorted(set(table) - set(anchors)))
    return AnchoredVerdict(count, len(anchors), unanchored, tuple(problems))
