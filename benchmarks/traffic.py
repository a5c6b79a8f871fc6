"""Offered load and what came back: a paced producer to the raw topics (the harness's headers,
one traceparent per input so every output can be traced to its input without decoding it) and
a watcher that reads the committed delivery and dead-letter topics as a subscriber would."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from connectors.sdk.headers import CONNECTOR, MESSAGE_ID, RECEIVED_AT, TRACEPARENT
from streams.harness import new_traceparent, producer_for, raw_topic_for
from streams.principals import OPERATOR
from streams.settings import Settings
from streams.synthetic import TrafficItem
from streams.topics import CATALOGUE

WATCHED = (*(t.name for t in CATALOGUE if t.name.startswith("delivery.")), "deadletter")


def trace_id(traceparent: str) -> str:
    """The trace id of a W3C traceparent: every hop keeps it, while the span id changes."""
    parts = traceparent.split("-")
    return parts[1] if len(parts) > 2 else traceparent


@dataclass
class Sent:
    """When each input was handed to the producer, by its trace id."""

    at: dict[str, float] = field(default_factory=dict)
    message_ids: dict[str, str] = field(default_factory=dict)  # trace id → message id
    first: float = 0.0
    last: float = 0.0


async def send_paced(
    settings: Settings,
    items: Sequence[TrafficItem],
    rate: float | None,
    producer: AIOKafkaProducer | None = None,
    sent: Sent | None = None,
) -> Sent:
    """Send ``items`` at ``rate`` msg/s (None: as fast as the producer takes them), in 5 ms
    ticks on an absolute schedule, futures awaited in bulk. Keyed by the sender's HER-id, as
    the connectors key raw records (one sender's messages stay in order on one partition)."""
    own = producer is None
    producer = producer or producer_for(settings)
    if own:
        await producer.start()
    sent = sent or Sent()
    futures = []
    try:
        start = time.monotonic()
        sent.first = sent.first or time.time()
        for i, item in enumerate(items):
            if rate is not None:
                delay = start + i / rate - time.monotonic()
                if delay > 0.004:
                    await asyncio.sleep(delay)
            tp = new_traceparent()
            msg_id = item.expected.msg_id
            headers = [
                (TRACEPARENT, tp.encode()),
                (CONNECTOR, b"samflyt-bench"),
                (MESSAGE_ID, msg_id.encode()),
                (RECEIVED_AT, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()),
            ]
            trace = trace_id(tp)
            sent.at[trace] = time.time()
            sent.message_ids[trace] = msg_id
            futures.append(
                await producer.send(
                    settings.topic(raw_topic_for(item.expected.msg_type)),
                    item.data,
                    key=(item.expected.sender_her_id or msg_id).encode(),
                    headers=headers,
                )
            )
        await asyncio.gather(*futures)
        sent.last = time.time()
    finally:
        if own:
            await producer.stop()
    return sent


@dataclass
class Seen:
    """Per trace id: when its first and last committed output was read, and how many."""

    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    records: int = 0
    out_bytes: int = 0


class Watcher:
    """Reads committed delivery and dead-letter records from given offsets (read_committed),
    keyed by the trace id of their traceparent header; only headers are read, nothing decoded."""

    def __init__(self, settings: Settings, start: dict[TopicPartition, int]) -> None:
        self.settings = settings
        self.start_offsets = start
        self.seen = Seen()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            **self.settings.kafka(OPERATOR).options(),
            isolation_level="read_committed",
            enable_auto_commit=False,
            max_poll_records=5000,
        )
        await self._consumer.start()
        self._consumer.assign(list(self.start_offsets))
        for tp, offset in self.start_offsets.items():
            self._consumer.seek(tp, offset)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        seen = self.seen
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                for r in records:
                    seen.records += 1
                    seen.out_bytes += len(r.value or b"")
                    for k, v in r.headers or ():
                        if k == TRACEPARENT:
                            trace = trace_id(v.decode("ascii", "replace"))
                            seen.first.setdefault(trace, now)
                            seen.last[trace] = now
                            break

    async def wait_for(
        self, traceparents: Sequence[str], deadline_s: float, quiet_s: float = 1.0
    ) -> bool:
        """Until every traceparent has an output and nothing new came for ``quiet_s``."""
        end = time.monotonic() + deadline_s
        wanted = set(traceparents)
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < end:
            if self.seen.records != last_count:
                last_count, last_change = self.seen.records, time.monotonic()
            elif wanted <= self.seen.first.keys() and time.monotonic() - last_change >= quiet_s:
                return True
            await asyncio.sleep(0.05)
        return wanted <= self.seen.first.keys()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
