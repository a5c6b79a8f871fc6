"""PostgreSQL message store: every canonical event and delivery, queryable by message id, by
conversation and by pseudonymous patient key (table ``message_store``, migration 0003).

The query keys come from the Avro record (canonical event, or the event/receipt/overdue inside
a delivery), else the ``samflyt.*`` headers; for raw XML the envelope is read and the patient
key computed with the deployment secret (``patient_key_secret_env``). The national id itself is
never stored in a column.
Idempotent: a record is stored once per (topic, partition, offset).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
from pydantic import Field, SecretStr

from schemas.errors import MessageError

from ..sdk import BadRecordError, Failure, Record, RetriableError, Sink, SinkConfig
from ..sdk import headers as h
from ..sdk.base import DEFAULT_LANE
from ._common import record_topic
from ._delivery import unpack

__all__ = ["MessageStoreConfig", "MessageStoreSink", "StoredMessage", "to_row"]


class MessageStoreConfig(SinkConfig):
    database_url: SecretStr
    delivery_topic_marker: str = Field(
        ".delivery.", description="topics whose name contains this hold deliveries"
    )
    patient_key_secret_env: str | None = "SAMFLYT_PATIENT_KEY_SECRET"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    kind: str
    message_id: str
    conversation_id: str | None
    patient_key: str | None
    message_type: str | None
    sender_her_id: str | None
    recipient_her_id: str | None
    topic: str
    partition: int
    offset: int
    headers: str  # JSON object of the samflyt.* and traceparent headers
    payload: bytes


def _from_xml(data: bytes, secret: str | None) -> dict[str, str | None]:
    from schemas.pseudonym import patient_key
    from schemas.xml import parse_message

    msg = parse_message(data)
    national_id = msg.patient.national_id if msg.patient else None
    return {
        h.MESSAGE_ID: msg.message_id,
        h.CONVERSATION_ID: msg.conversation_id,
        h.MESSAGE_TYPE: msg.msg_type,
        h.SENDER_HER_ID: msg.sender.her_id,
        h.RECIPIENT_HER_ID: msg.receiver.her_id,
        h.PATIENT_KEY: patient_key(national_id, secret.encode())
        if national_id and secret
        else None,
    }


def to_row(record: Record, config: MessageStoreConfig, secret: str | None) -> StoredMessage:
    """The row for ``record`` (pure but for parsing); BadRecordError if it has no message id.

    Ids come from the Avro record (canonical event or delivery), else the ``samflyt.*``
    headers, else (raw XML) the envelope, with the patient key computed from the national id.
    """
    if record.position is None:
        raise BadRecordError("record without Kafka coordinates", code="no-position")
    topic = record_topic(record) or ""
    u = unpack(record)
    fields: dict[str, str | None] = {
        h.MESSAGE_ID: u.message_id,
        h.CONVERSATION_ID: u.conversation_id,
        h.MESSAGE_TYPE: u.message_type,
        h.SENDER_HER_ID: u.sender_her_id,
        h.RECIPIENT_HER_ID: u.recipient_her_id,
        h.PATIENT_KEY: u.patient_key,
    }
    if not fields[h.MESSAGE_ID] and record.value.lstrip()[:1] == b"<":
        try:
            fields = {k: fields[k] or v for k, v in _from_xml(record.value, secret).items()}
        except MessageError as exc:
            raise BadRecordError(exc.detail, code=exc.code) from None
    message_id = fields[h.MESSAGE_ID]
    if not message_id:
        raise BadRecordError("record without a message id", code="no-message-id")
    kept = {
        k: v.decode("utf-8", "replace")
        for k, v in record.headers
        if k.startswith("samflyt.") or k == h.TRACEPARENT
    }
    return StoredMessage(
        kind="delivery" if config.delivery_topic_marker in topic else "event",
        message_id=message_id,
        conversation_id=fields[h.CONVERSATION_ID],
        patient_key=fields[h.PATIENT_KEY],
        message_type=fields[h.MESSAGE_TYPE],
        sender_her_id=fields[h.SENDER_HER_ID],
        recipient_her_id=fields[h.RECIPIENT_HER_ID],
        topic=topic,
        partition=int(record.position.stream.rpartition(":")[2]),
        offset=int(record.position.offset),
        headers=json.dumps(kept, sort_keys=True),
        payload=record.value,
    )


_INSERT = (
    "INSERT INTO message_store (kind, message_id, conversation_id, patient_key, message_type,"
    " sender_her_id, recipient_her_id, topic, kafka_partition, kafka_offset, headers, payload)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)"
    " ON CONFLICT (topic, kafka_partition, kafka_offset) DO NOTHING"
)


class MessageStoreSink(Sink[MessageStoreConfig]):
    name: ClassVar[str] = "message-store"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[MessageStoreConfig]] = MessageStoreConfig

    def __init__(self, config: MessageStoreConfig) -> None:
        super().__init__(config)
        self._pool: Any = None
        env = config.patient_key_secret_env
        self._secret = os.environ.get(env) if env else None

    async def on_start(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.config.database_url.get_secret_value(), min_size=1, max_size=4
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise RetriableError(f"message store unreachable: {type(exc).__name__}") from None

    async def on_stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def delivers(self, record: Record, lane: str = DEFAULT_LANE) -> bool:
        """An archive: storing a delivery hands it to no one."""
        return False

    async def write(self, records: Sequence[Record], lane: str = DEFAULT_LANE) -> Sequence[Failure]:
        failures: list[Failure] = []
        rows: list[tuple[Any, ...]] = []
        for record in records:
            try:
                row = to_row(record, self.config, self._secret)
            except BadRecordError as exc:
                failures.append(Failure(record, exc))
                continue
            rows.append(
                (
                    row.kind,
                    row.message_id,
                    row.conversation_id,
                    row.patient_key,
                    row.message_type,
                    row.sender_her_id,
                    row.recipient_her_id,
                    row.topic,
                    row.partition,
                    row.offset,
                    row.headers,
                    row.payload,
                )
            )
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.executemany(_INSERT, rows)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            raise RetriableError(f"message store write failed: {type(exc).__name__}") from None
        return failures
