"""Agent: enrich, route and fan out canonical events per patient; watch for overdue answers.

Keyed by the pseudonymous patient key, so a patient's events arrive in order on one partition
and the patient's state (``patient-state`` table) is local. Clock ticks on the same partitions
run the overdue watch inside the partition's processing (and its transaction).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from streams.agents.guard import guarded
from streams.journey.provenance import provenance
from streams.metrics import mark, observe
from streams.pipeline import Pipeline, traceparent_of
from streams.registries.feed import patient_key_fn
from streams.routing.state import PatientState
from streams.stages.overdue_watch import OverdueWatch, is_early_answer
from streams.stages.route import OVERDUE, OpenRequest, overdue_record, route_event
from streams.telemetry import trace_headers

log = logging.getLogger(__name__)
TICK = b"tick"


def register(p: Pipeline) -> None:
    settings = p.settings
    source = p.app.topic(settings.topic("canonical.events"), settings.topic("internal.clock"))
    clock_name = settings.topic("internal.clock")
    watch = OverdueWatch(p.tables["open"], settings.overdue_after)
    person_key = patient_key_fn(settings)

    @p.app.agent(source, name="route_events")
    async def route_events(stream: Any) -> None:
        async def handle(event: Any) -> None:
            if event.message.topic == clock_name:
                await _tick(p, watch, event.message.partition)
            else:
                with observe("route", event.message.timestamp):
                    await _route(p, watch, event, person_key)

        await guarded(p, stream, "ROUTE", handle)

    @p.app.on_partitions_assigned.connect
    async def reindex_open_requests(*args: Any, **kwargs: Any) -> None:
        watch.reset()

    @p.app.timer(interval=settings.clock_interval_seconds)  # type: ignore[untyped-decorator]
    async def tick_partitions() -> None:
        for tp in p.app.consumer.assignment():
            if tp.topic == clock_name:
                await p.topic("internal.clock").send(value=TICK, partition=tp.partition)


async def _route(
    p: Pipeline, watch: OverdueWatch, event: Any, person_key: Callable[[str], str]
) -> None:
    # the envelope only: routing never reads the payload, and the Deliveries splice the bytes
    record = p.codec.decode_head("CanonicalEvent", event.value, "payload")
    traceparent = traceparent_of(event)
    headers = trace_headers(traceparent) + provenance(event.message.headers)
    mark(record["msg_type"], record["sender"]["her_id"], record["receiver"]["her_id"])
    patients, open_requests = p.tables["patients"], p.tables["open"]
    key = record["patient"]["patient_key"] if record.get("patient") else None
    state = PatientState.from_data(patients.get(key)) if key else PatientState()
    now = datetime.now(UTC)
    outcome = route_event(
        record,
        view=p.feed.view,
        rules=p.rules.current,
        state=state,
        now=now,
        overdue_after=p.settings.overdue_after,
        traceparent=traceparent,
        person_key=person_key,
    )
    for delivery in outcome.deliveries:
        # the consumed event bytes are spliced into each Delivery, not re-encoded
        fields = {k: v for k, v in delivery.record.items() if k != "content"}
        wrapped = p.codec.wrap("Delivery", fields, event.value)
        await p.send(
            delivery.topic, delivery.key, wrapped, headers + delivery.headers(outcome.facts)
        )
    for decision in outcome.decisions:
        await p.send(
            "decisions", outcome.facts.patient_key, p.codec.encode("Decision", decision), headers
        )
    if key and outcome.state is not state:
        patients[key] = outcome.state.to_data()
    partition = event.message.partition
    opened = outcome.opened
    if opened is not None:
        came_first = [
            k
            for k in (opened.message_id, opened.question_key)
            if k and is_early_answer(open_requests.get(k))
        ]
        for k in came_first:
            del open_requests[k]  # its answer came first
        if not came_first:
            watch.watch(opened.message_id, _open_to_data(opened, partition), opened.question_key)
    for answer_id in outcome.answers:
        request_id = watch.request_of(answer_id)
        current = open_requests.get(request_id)
        if current is not None and not is_early_answer(current):
            watch.answered(request_id)
            p.counts["route.answered"] += 1
        elif current is None:
            # the answer overtook its request (they may travel different raw partitions)
            watch.answered_early(answer_id, partition, now)
    p.counts["route.events"] += 1
    p.counts["route.deliveries"] += len(outcome.deliveries)


async def _tick(p: Pipeline, watch: OverdueWatch, partition: int) -> None:
    now = datetime.now(UTC)
    for request_id, entry in watch.take_due(partition, now):
        if not is_early_answer(entry):  # an early answer whose request never came is forgotten
            request = _open_from_data(entry)
            record = overdue_record(request, now)
            await p.send(
                "overdue", request.sender.get("her_id"), p.codec.encode("Overdue", record)
            )
            p.counts["route.overdue"] += 1
        watch.done(partition, request_id)


def _open_to_data(request: OpenRequest, partition: int) -> dict[str, Any]:
    """JSON-compatible (the table's codec is JSON): Party records hold only strings, lists."""
    data: dict[str, Any] = json.loads(
        json.dumps(
            {
                "partition": partition,
                "message_id": request.message_id,
                "msg_type": request.msg_type,
                "conversation_id": request.conversation_id,
                "requested_at": request.requested_at.isoformat(),
                "deadline": request.deadline.isoformat(),
                "sender": request.sender,
                "awaited_from": request.awaited_from,
                "patient_key": request.patient_key,
                "is_test": request.is_test,
                "traceparent": request.traceparent,
                "question_key": request.question_key,
            },
            default=str,
        )
    )
    return data


def _open_from_data(data: dict[str, Any]) -> OpenRequest:
    return OpenRequest(
        data["message_id"],
        data["msg_type"],
        data["conversation_id"],
        datetime.fromisoformat(data["requested_at"]),
        datetime.fromisoformat(data["deadline"]),
        data["sender"],
        data["awaited_from"],
        data["patient_key"],
        data["is_test"],
        data["traceparent"],
        data.get("question_key"),  # entries written before it existed have none
    )


__all__ = ["OVERDUE", "register"]
