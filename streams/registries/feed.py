"""Registries from PostgreSQL to the agents: published to compacted topics, served from memory.

``publish_registry`` reads the registry tables (the source of truth) and writes every party and
every patient entry to the compacted registry topics. Each worker runs a :class:`RegistryFeed`:
a group-less consumer that reads those topics from the beginning into a :class:`RegistryView`
and keeps following them, so routing never waits on a database and sees registry changes within
moments. National services are few and change rarely: they are read from PostgreSQL at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from connectors.kafka_security import start_client
from schemas.codec import Codec, default_codec
from schemas.pseudonym import patient_key as keyed_hash
from streams.admin import ensure_topics, partitions_of
from streams.db import connect
from streams.principals import REGISTRY, WORKER
from streams.registries.store import read_national_services, read_parties, read_patient_entries
from streams.registries.view import RegistryView
from streams.registries.wire import context_from_entry, party_from_record, party_to_record
from streams.settings import Settings
from streams.topics import BY_NAME

log = logging.getLogger(__name__)
PARTIES, PATIENTS = "registry.parties", "registry.patients"


def patient_key_fn(settings: Settings) -> Callable[[str], str]:
    secret = settings.patient_key_secret.get_secret_value().encode()
    return lambda national_id: keyed_hash(national_id, secret)


async def published_keys(settings: Settings) -> dict[str, set[bytes]]:
    """The keys each registry topic holds a live value for now (read from the beginning)."""
    consumer = AIOKafkaConsumer(
        **settings.kafka(REGISTRY).options(),
        enable_auto_commit=False,
        group_id=None,
        max_poll_records=5000,
    )
    await start_client(consumer, settings.kafka(REGISTRY))
    keys: dict[str, set[bytes]] = {settings.topic(PARTIES): set(), settings.topic(PATIENTS): set()}
    try:
        partitions = partitions_of(settings, (PARTIES, PATIENTS))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        todo = {tp for tp in partitions if end[tp] > 0}
        while todo:
            for tp, records in (await consumer.getmany(*todo, timeout_ms=500)).items():
                live = keys[tp.topic]
                for record in records:
                    if record.key is None:
                        continue
                    if record.value is None:
                        live.discard(record.key)  # an earlier tombstone
                    else:
                        live.add(record.key)
                if await consumer.position(tp) >= end[tp]:
                    todo.discard(tp)
    finally:
        await consumer.stop()
    return keys


async def publish_registry(settings: Settings, codec: Codec | None = None) -> tuple[int, int]:
    """Publish every party and patient entry from PostgreSQL, and a tombstone for each key the
    topics hold that the tables no longer have (a patient who left every registry table kept
    the entry for ever: compaction keeps the last value of a key); returns (parties, patients)."""
    codec = codec or default_codec()
    # a fresh deployment publishes before any worker created the topics: create these two
    await ensure_topics(settings, [BY_NAME[PARTIES], BY_NAME[PATIENTS]], principal=REGISTRY)
    conn = await connect(settings)
    try:
        parties = await read_parties(conn)
        entries = await read_patient_entries(conn, patient_key_fn(settings))
    finally:
        await conn.close()
    on_topics = await published_keys(settings)
    gone = {
        settings.topic(PARTIES): on_topics[settings.topic(PARTIES)]
        - {p.her_id.encode() for p in parties},
        settings.topic(PATIENTS): on_topics[settings.topic(PATIENTS)]
        - {e["patient_key"].encode() for e in entries},
    }
    producer = AIOKafkaProducer(
        **settings.kafka(REGISTRY).options(),
        acks="all",
        linger_ms=10,
        max_batch_size=1_048_576,
        compression_type=settings.compression_type,
    )
    await start_client(producer, settings.kafka(REGISTRY))
    try:
        futures = [
            await producer.send(
                settings.topic(PARTIES),
                codec.encode("CommunicationParty", party_to_record(p)),
                key=p.her_id.encode(),
            )
            for p in parties
        ]
        futures += [
            await producer.send(
                settings.topic(PATIENTS),
                codec.encode("PatientRegistryEntry", e),
                key=e["patient_key"].encode(),
            )
            for e in entries
        ]
        futures += [
            await producer.send(topic, None, key=key)
            for topic, keys in gone.items()
            for key in sorted(keys)
        ]
        await asyncio.gather(*futures)
        if any(gone.values()):
            log.info(
                "registry tombstones published",
                extra={topic: len(keys) for topic, keys in gone.items()},
            )
    finally:
        await producer.stop()
    return len(parties), len(entries)


class RegistryFeed:
    """Keeps a :class:`RegistryView` current from the compacted registry topics."""

    def __init__(
        self,
        settings: Settings,
        view: RegistryView | None = None,
        codec: Codec | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.view = view or RegistryView(today=today)
        self.codec = codec or default_codec()
        self.today = today
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load national services, then read both topics to their current end before returning."""
        conn = await connect(self.settings)
        try:
            for service in await read_national_services(conn):
                self.view.put_service(service)
        finally:
            await conn.close()
        kafka = self.settings.kafka(WORKER)
        consumer = AIOKafkaConsumer(
            **kafka.options(),
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            max_poll_records=5000,
        )
        await start_client(consumer, kafka)
        self._consumer = consumer
        partitions = partitions_of(self.settings, (PARTIES, PATIENTS))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        while not await self._caught_up(end):
            self._apply(await consumer.getmany(timeout_ms=500))
        self.ready.set()
        counts = {"parties": len(self.view.parties), "patients": len(self.view.patients)}
        if not self.view.parties:  # every message would be rejected as to an unknown receiver
            log.warning(
                "registry loaded EMPTY: run `samflyt registry publish`; until then messages"
                " are rejected (E21)",
                extra=counts,
            )
        else:
            log.info(
                f"registry loaded: {counts['parties']} parties, {counts['patients']} patients",
                extra=counts,
            )
        self._task = asyncio.create_task(self._follow())

    async def _caught_up(self, end: dict[TopicPartition, int]) -> bool:
        assert self._consumer is not None
        for tp, offset in end.items():
            if await self._consumer.position(tp) < offset:
                return False
        return True

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            self._apply(await self._consumer.getmany(timeout_ms=1000))

    def _apply(self, batches: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        parties_topic = self.settings.topic(PARTIES)
        today = self.today()
        for tp, records in batches.items():
            for record in records:
                try:
                    self._apply_one(tp.topic == parties_topic, record, today)
                except Exception:  # e.g. a schema id this worker does not know (an upgrade)
                    log.exception(
                        "registry record skipped: not readable",
                        extra={"topic": tp.topic, "offset": f"{tp.partition}:{record.offset}"},
                    )

    def _apply_one(self, is_party: bool, record: Any, today: date) -> None:
        """One record. A record that could not be read used to end the follow task, and the
        worker routed with a registry that never changed again; now it is skipped, logged."""
        key = record.key.decode() if record.key else None
        if record.value is None:  # tombstone: the party or patient is gone
            if is_party:
                self.view.remove(her_id=key)
            else:
                self.view.remove(patient_key=key)
        elif is_party:
            self.view.put_party(
                party_from_record(self.codec.decode_as("CommunicationParty", record.value))
            )
        else:
            self.view.put_patient(
                context_from_entry(
                    self.codec.decode_as("PatientRegistryEntry", record.value), today=today
                )
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
