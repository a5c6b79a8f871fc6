"""What samflyt changes in faust-streaming 0.15 (with aiokafka 0.14 and Kafka 4.1), and why.

Each patch fixes one fault found by samflyt's own tests and benchmarks; its docstring names the
fault. ``apply_faust_patches()`` applies them all, once per process, before an app is built.
docs/architecture.md summarises them for operators.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types.enums import ProcessingGuarantee

log = logging.getLogger(__name__)
REWIND_EVERY_S = 5.0
WAIT_IN_FLIGHT_S = 20.0  # on stop, for records already handed to the agents
_pending_rewinds: set[asyncio.Future[Any]] = set()
_applied = False


def _skip_existing_topics() -> None:
    """Faust declares its table changelogs at every start; against Kafka 4.1 with aiokafka
    0.14 its CreateTopics request for a topic that already exists never completes (the broker
    answers TOPIC_ALREADY_EXISTS, the client waits until its request timeout and retries), so a
    worker restart would hang. samflyt creates those topics itself (``ensure_topics``); this
    makes Faust look them up in fresh cluster metadata first and skip the request when they
    exist."""
    driver = aiokafka_driver.Transport
    original = driver._really_create_topic

    async def create_unless_exists(
        self: Any, owner: Any, client: Any, topic: str, *args: Any, **kwargs: Any
    ) -> None:
        metadata = await client.fetch_all_metadata()
        if topic in metadata.topics():
            return
        await original(self, owner, client, topic, *args, **kwargs)

    driver._really_create_topic = create_unless_exists  # type: ignore[method-assign]


def _keep_partitions_fetching() -> None:
    """When an agent's buffer runs high, faust-streaming takes that partition out of the set it
    fetches and puts it back once a read from the same buffer sees the pressure drop. Two
    ways that goes wrong, both seen in samflyt's SIGKILL and two-worker runs (issue 4): the
    partition is never put back (its records wait forever, the worker looks healthy), and
    records already fetched for a partition that is out of the set at that moment are skipped,
    after which the jump in offsets is booked as a gap and committed past.

    Here a full buffer does not take the partition out: the fetcher waits until the agent has
    room (Faust's own blocking put), so a slow agent slows the worker instead of losing or
    parking its records."""

    def keep_fetching(self: Any, tp: Any) -> None:
        return None

    Consumer.on_buffer_full = keep_fetching  # type: ignore[method-assign]


def _rewind_partitions_never_committed() -> None:
    """Faust's safety net after a rebalance is "seek every partition back to its committed
    offset", so records fetched but not handed to an agent during the change are read again.
    aiokafka's ``seek_to_committed`` leaves a partition alone when its group has never
    committed there (or committed 0), so on a fresh group the records fetched in that window
    were skipped: the first records of a new deployment (offset 0) were lost when a second
    worker joined (issue 4, the two-worker benchmark warm-ups).

    Here such a partition is sought to where ``auto_offset_reset`` says a new group starts
    (the beginning for samflyt), changelog partitions excepted (Faust's recovery owns those).
    """
    thread = aiokafka_driver.AIOKafkaConsumerThread

    async def seek_to_committed(self: Any) -> Any:
        return await self.call_thread(_seek_to_committed_or_reset, self)

    thread.seek_to_committed = seek_to_committed  # type: ignore[method-assign]


async def _seek_to_committed_or_reset(thread: Any) -> Any:
    consumer = thread._ensure_consumer()
    committed = await consumer.seek_to_committed()
    never = [
        tp
        for tp, offset in committed.items()
        if not offset and not thread.consumer._is_changelog_tp(tp)
    ]
    heads = _heads_of(thread.consumer)
    for tp, offset in committed.items():
        if offset:
            heads.pop(tp, None)
    if never:
        if thread.app.conf.consumer_auto_offset_reset == "latest":
            await consumer.seek_to_end(*never)
        else:
            await consumer.seek_to_beginning(*never)
        for tp in never:
            heads[tp] = await consumer.position(tp)
    return committed


def _heads_of(consumer: Any) -> dict[Any, int]:
    """Where each never-committed partition starts (its first record), per Faust consumer."""
    heads: dict[Any, int] = consumer.__dict__.setdefault("_samflyt_heads", {})
    return heads


class _EveryRecordIsNew(dict[Any, Any]):
    """Faust's record of the last offset read per partition, as its fetch loop sees it."""

    def __getitem__(self, tp: Any) -> None:
        return None


def _deliver_records_read_again() -> None:
    """Faust's fetch loop drops a record whose offset is below the last one it read from that
    partition, taking it for a duplicate. After a rebalance Faust seeks back to the committed
    offset and resets that mark, but a batch fetched before the seek can still be draining and
    set it forward again, so the records read again are dropped, while their first copies
    were skipped by the agents during the rebalance: the records lost between the first
    worker's start and the second one joining (issue 4).

    Here the fetch loop sees no mark, so every record it fetches reaches the agents; a record
    read twice is processed twice and produces the same output ids. The price: Faust no
    longer books jumps in offsets (aborted transactions in a source topic) as gaps, so such a
    partition holds its commit until the next restart re-reads it (records are still
    processed)."""
    original = Consumer.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._read_offset = _EveryRecordIsNew()

    Consumer.__init__ = init  # type: ignore[method-assign]


def _read_again_what_was_never_processed() -> None:
    """A record must be acknowledged before the commit moves past it; Faust does not always see
    to that, in two ways found by samflyt's tests:

    - It checks that the records it commits start at the committed offset, but it has no
      committed offset for a partition its group never committed (nor for one committed at 0),
      so there it commits whatever was acknowledged: if the first records were fetched and
      then dropped in a rebalance, the commit moved past them (the lost offset-0 records of
      issue 4).
    - Its streams skip, without acknowledging them, records that arrive while its flow is
      stopped or from an older consumer generation, and count on the next rebalance to seek
      back to the committed offset. Records fetched between Recovery's seek and the resumption
      of flow are skipped that way with no rebalance to come: the commit stayed at the first
      of them, the position at the end of the partition, and the worker sat idle with records
      never processed (the SIGKILL test, once it disrupted mid-stream, with a 20 ms fetch).
      Where exactly one record is missing Faust even commits past it (its check allows a gap
      of one), so that record was lost.

    Here, when a partition's first record (until it has a commit, found by the seek above) or
    the record at its committed offset is not acknowledged and a later one is, the partition
    is rewound to it (at most every few seconds) and fetched again. A partition's records
    reach its one agent in order, so a later acknowledgement means the earlier record was
    skipped, not that it is still being processed. Records read twice carry the same output
    ids. The committed-offset rule is for at-least-once only: under exactly-once the source
    topics hold transaction markers at offsets no record has."""
    original = Consumer._new_offset

    def new_offset(self: Any, tp: Any) -> int | None:
        expected = _next_to_acknowledge(self, tp)
        if expected is not None:
            acked = self._acked[tp]
            if acked and max(acked) > expected and expected not in self._acked_index[tp]:
                _rewind(self, tp, expected)
                return None
        result: int | None = original(self, tp)
        return result

    Consumer._new_offset = new_offset  # type: ignore[method-assign]


def _next_to_acknowledge(consumer: Any, tp: Any) -> int | None:
    """The offset the next commit of ``tp`` must start with, where that is known for sure."""
    committed: int | None = consumer._committed_offset[tp]
    if committed is None:
        return _heads_of(consumer).get(tp)
    if consumer.app.conf.processing_guarantee == ProcessingGuarantee.AT_LEAST_ONCE:
        return committed
    return None


def _rewind(consumer: Any, tp: Any, offset: int) -> None:
    if consumer.should_stop or consumer.app.should_stop:
        return  # a stopping worker fetches nothing more: the next owner reads from the commit
    last: dict[Any, float] = consumer.__dict__.setdefault("_samflyt_rewound_at", {})
    now = time.monotonic()
    if now - last.get(tp, -REWIND_EVERY_S) < REWIND_EVERY_S:
        return
    last[tp] = now
    task = asyncio.ensure_future(_seek_back(consumer, tp, offset))
    _pending_rewinds.add(task)
    task.add_done_callback(_pending_rewinds.discard)


async def _seek_back(consumer: Any, tp: Any, offset: int) -> None:
    """Seek ``tp`` back to ``offset``, unless retention has deleted it: a commit older than the
    partition's first record (a group stopped for longer than the topic keeps records) can
    never be read again, so the partition commits from its first record instead of rewinding
    to an offset that does not exist, every few seconds, for ever."""
    try:
        first = (await consumer.earliest_offsets(tp)).get(tp)
    except Exception as exc:  # e.g. mid-rebalance: the next commit tries again
        log.warning("could not look up the first offset of %s: %r", tp, exc)
        return
    if first is not None and offset < first:
        log.error(
            "records %s to %s of %s were deleted by retention before they were processed",
            offset,
            first - 1,
            tp,
        )
        consumer._committed_offset[tp] = first
        return
    log.warning("record %s of %s was never processed: reading again from there", offset, tp)
    await _seek_in_consumer_thread(consumer, tp, offset)


async def _seek_in_consumer_thread(consumer: Any, tp: Any, offset: int) -> None:
    """Faust's own ``seek`` changes aiokafka's fetcher from the main thread while the consumer
    thread reads it: a seek that lands while the thread drains that partition's records made
    the fetcher raise ``KeyError`` and the worker crash (seen in the SIGKILL test). Here the
    seek runs in the consumer thread, between its reads."""
    thread = consumer._thread
    await thread.call_thread(thread.seek, tp, offset)


def _bound_the_wait_for_records_in_flight() -> None:
    """On stop, Faust waits until every record handed to the agents is acknowledged, with no
    limit. A record whose partition was taken away in a rebalance just before is never
    acknowledged by the agent that dropped it, and the worker never stopped: a SIGTERM during a
    join-and-leave test left it waiting for two canonical events for minutes.

    Here the wait ends after ``WAIT_IN_FLIGHT_S``; what is acknowledged by then is committed as
    Faust would have committed it, and the rest is read again by the partition's next owner
    (at-least-once: same output ids). Faust waits the same way when partitions are revoked in a
    rebalance, which the bound also ends."""
    original = Consumer.wait_empty

    async def wait_empty(self: Any) -> None:
        waiting = asyncio.ensure_future(original(self))
        done, _ = await asyncio.wait({waiting}, timeout=WAIT_IN_FLIGHT_S)
        if waiting not in done:
            log.warning(
                "stopping without %d records in flight after %.0f s: they are read again from"
                " the last commit",
                len(self._unacked_messages),
                WAIT_IN_FLIGHT_S,
            )
            # Faust's loop ignores cancellation; with nothing left to wait for it ends within
            # a second and commits what was acknowledged
            self._unacked_messages.clear()
        await waiting

    Consumer.wait_empty = wait_empty  # type: ignore[method-assign]


def _fetch_settings_of_the_app() -> None:
    """Faust builds its consumer with ``fetch_max_wait_ms=1500`` and aiokafka's
    ``fetch_min_bytes=1``, and has no setting for either: the broker answers a fetch as soon as
    one record is there, so under a steady flow the consumer thread makes a fetch round trip,
    and a hand-over to the main loop, for every few records. Here the app's
    ``samflyt_fetch`` (``consumer_fetch_min_bytes``, ``consumer_fetch_max_wait_ms``, set by
    ``create_app``) replaces them on the consumer before it starts."""
    thread = aiokafka_driver.AIOKafkaConsumerThread
    original = thread._create_worker_consumer

    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        fetch = getattr(self.app, "samflyt_fetch", None)
        if fetch is not None:
            consumer._fetch_min_bytes, consumer._fetch_max_wait_ms = fetch
        return consumer

    thread._create_worker_consumer = create_worker_consumer  # type: ignore[method-assign]


def apply_faust_patches() -> None:
    """Apply every patch, once per process (each wraps the method it replaces)."""
    global _applied
    if _applied:
        return
    _applied = True
    _skip_existing_topics()
    _keep_partitions_fetching()
    _rewind_partitions_never_committed()
    _read_again_what_was_never_processed()
    _deliver_records_read_again()
    _bound_the_wait_for_records_in_flight()
    _fetch_settings_of_the_app()
