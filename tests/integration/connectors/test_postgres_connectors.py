"""The PostgreSQL-backed connectors: the core journal outbox feed and the message store, through
the conformance suite and end to end."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest

from connectors.kafka_security import KafkaConnection
from connectors.kjernejournal import OutboxConfig, OutboxSource
from connectors.runner import run
from connectors.sdk import Position, Record, headers
from connectors.sdk.testing import SinkConformance, SourceConformance
from connectors.sinks.message_store import MessageStoreConfig, MessageStoreSink
from tests.integration.connectors.helpers import produce, wait_for

pytestmark = pytest.mark.integration

CRITICAL_INFO = (
    Path(__file__).resolve().parents[3] / "streams" / "synthetic" / "samples"
    / "012-7-core-journal-critical-samflyt_kj_kritisk_info.xml"
)


class TestOutboxConformance(SourceConformance):
    connector_class: ClassVar[Any] = OutboxSource
    invalid_settings = frozenset({"database_url", "table"})

    @pytest.fixture(autouse=True)
    async def _table(self, database_url: str, database_owner_url: str) -> Any:
        """An outbox of the test's own, made by the owner role as an adapter's migration would
        (the runtime role cannot create tables; default privileges give it the DML)."""
        self.database_url = database_url
        self.table = f"outbox_{uuid.uuid4().hex[:10]}"
        owner = await asyncpg.connect(database_owner_url)
        await owner.execute(f"CREATE TABLE {self.table} (LIKE kjernejournal_outbox INCLUDING ALL)")
        self.conn = await asyncpg.connect(database_url)
        yield
        await self.conn.close()
        await owner.execute(f"DROP TABLE {self.table}")
        await owner.close()

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "topic": "samflyt.raw.kjernejournal",
            "database_url": self.database_url,
            "table": self.table,
            "poll_interval": 0.1,
        }

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "t", "table": "outbox; DROP TABLE x"}

    async def add_input(self, source: Any, count: int) -> None:
        for _ in range(count):
            event_id = uuid.uuid4()
            await self.conn.execute(
                f"INSERT INTO {self.table} (event_id, event_type, patient_key, payload)"
                " VALUES ($1, 'SAMFLYT_KJ_KRITISK_INFO', $2, $3)",
                event_id,
                uuid.uuid4().hex,
                critical_info(str(event_id)),
            )


def critical_info(message_id: str) -> bytes:
    """A core-journal change as the outbox holds it: samflyt's MsgHead-wrapped event (the
    bundled sample, with ``message_id``), which the conformance suite parses."""
    data = CRITICAL_INFO.read_bytes()
    return re.sub(rb"<MsgId>[^<]*</MsgId>", f"<MsgId>{message_id}</MsgId>".encode(), data, count=1)


async def test_notify_wakes_the_feed_before_the_polling_interval(database_url: str) -> None:
    source = OutboxSource(
        OutboxConfig.model_validate(
            {"topic": "t", "database_url": database_url, "poll_interval": 30}
        )
    )
    conn = await asyncpg.connect(database_url)
    try:
        last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM kjernejournal_outbox")
        await source.start({"outbox": str(last)})
        event_id = uuid.uuid4()
        poll = asyncio.ensure_future(source.poll(10))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await conn.execute(
            "INSERT INTO kjernejournal_outbox (event_id, event_type, patient_key, payload)"
            " VALUES ($1, 'MEDICATION', 'pk-1', $2)",
            event_id,
            b"{}",
        )
        records = await asyncio.wait_for(poll, 10)
        assert time.monotonic() - started < 5
        assert [r.message_id for r in records] == [str(event_id)]
    finally:
        await source.stop()
        await conn.close()


async def test_a_row_of_an_open_transaction_is_not_skipped(database_url: str) -> None:
    """A lower id committed after a higher one must still be read, in order."""
    source = OutboxSource(
        OutboxConfig.model_validate(
            {"topic": "t", "database_url": database_url, "poll_interval": 0.1}
        )
    )
    slow, fast = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        last = await fast.fetchval("SELECT coalesce(max(id), 0) FROM kjernejournal_outbox")
        await source.start({"outbox": str(last)})
        tx = slow.transaction()
        await tx.start()
        await slow.execute(
            "INSERT INTO kjernejournal_outbox (event_id, event_type, payload) VALUES ($1, 'A', $2)",
            uuid.uuid4(),
            b"{}",
        )
        await fast.execute(
            "INSERT INTO kjernejournal_outbox (event_id, event_type, payload) VALUES ($1, 'B', $2)",
            uuid.uuid4(),
            b"{}",
        )
        assert await source.poll(10) == []  # B waits for A's transaction
        await tx.commit()
        records = [r for _ in range(3) for r in await source.poll(10)]
        assert [r.header(headers.MESSAGE_TYPE) for r in records] == ["A", "B"]
    finally:
        await source.stop()
        await slow.close()
        await fast.close()


def stored_record(topic: str, offset: int, message_id: str | None) -> Record:
    hs: headers.Headers = ((headers.PATIENT_KEY, b"pk-test"),)
    if message_id:
        hs = headers.with_header(hs, headers.MESSAGE_ID, message_id)
    return Record(
        b"<delivery/>", key=b"4711", headers=hs, position=Position(f"{topic}:0", str(offset))
    )


class TestMessageStoreConformance(SinkConformance):
    connector_class: ClassVar[Any] = MessageStoreSink
    invalid_settings = frozenset({"database_url", "topics"})

    @pytest.fixture(autouse=True)
    def _db(self, database_url: str) -> None:
        self.database_url = database_url
        self.topic = f"samflyt.delivery.test-{uuid.uuid4().hex[:8]}"

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topics": [self.topic], "database_url": self.database_url}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topics": []}

    def records(self, count: int) -> list[Record]:
        return [stored_record(self.topic, i, f"ms-{uuid.uuid4()}") for i in range(count)]

    def bad_record(self) -> Record:
        return stored_record(self.topic, 999, None)

    async def written(self, sink: Any) -> list[str]:
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch(
                "SELECT message_id FROM message_store WHERE topic = $1", self.topic
            )
        finally:
            await conn.close()
        return sorted(r["message_id"] for r in rows)

    async def set_outage(self, sink: Any, down: bool) -> None:
        if down:  # the database goes away: the pool is closed under the sink
            await sink._pool.close()
        else:
            await sink.on_start()


async def test_message_store_is_queryable_by_id_conversation_and_patient(
    kafka: KafkaConnection, database_url: str, make_topic
) -> None:
    topic = await make_topic("delivery.municipal")
    conversation, patient = f"conv-{uuid.uuid4()}", uuid.uuid4().hex
    ids = [f"st-{uuid.uuid4()}" for _ in range(3)]
    items = []
    for mid in ids:
        hs: headers.Headers = ()
        for name, value in (
            (headers.MESSAGE_ID, mid),
            (headers.CONVERSATION_ID, conversation),
            (headers.PATIENT_KEY, patient),
        ):
            hs = headers.with_header(hs, name, value)
        items.append((b"4711", b"<delivery/>", hs))
    await produce(kafka, topic, items)
    sink = MessageStoreSink(
        MessageStoreConfig.model_validate(
            {"topics": [topic], "database_url": database_url, "group_id": f"t-{uuid.uuid4().hex}"}
        )
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        run(sink, kafka=kafka, database_url=None, stop=stop)
    )
    conn = await asyncpg.connect(database_url)
    try:
        count = 0

        async def refresh() -> None:
            nonlocal count
            count = await conn.fetchval(
                "SELECT count(*) FROM message_store WHERE conversation_id = $1", conversation
            )

        deadline = time.monotonic() + 60
        while count < 3 and time.monotonic() < deadline:
            await refresh()
            await asyncio.sleep(0.1)
        assert count == 3
        by_patient = await conn.fetch(
            "SELECT message_id, kind FROM message_store WHERE patient_key = $1", patient
        )
        assert sorted(r["message_id"] for r in by_patient) == sorted(ids)
        assert {r["kind"] for r in by_patient} == {"delivery"}
        one = await conn.fetchval(
            "SELECT count(*) FROM message_store WHERE message_id = $1", ids[0]
        )
        assert one == 1
    finally:
        stop.set()
        await task
        await conn.close()
    await wait_for(lambda: task.done(), 5, "the sink to stop")
