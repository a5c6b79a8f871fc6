"""The work baseline: parse → map → route → encode in a plain loop in one process, no Kafka.

It calls the same pure stage functions the agents call, in the same order, with the registry as
the same in-memory view, and times every step separately ("where the time goes")."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from schemas.codec import default_codec
from schemas.xml import ParseLimits, parse_message
from streams.registries.feed import patient_key_fn
from streams.registries.view import RegistryView, build_view
from streams.routing.rules import load_rule_set
from streams.routing.state import PatientState
from streams.settings import Settings
from streams.stages.route import RECEIPT, route_event
from streams.stages.senders import back_to_sender
from streams.stages.validate import Accepted, Origin, validate
from streams.synthetic import SyntheticWorld, TrafficItem

STEPS = (
    "parse XML",
    "validate: checks + map + receipts",
    "encode canonical + receipts",
    "decode canonical envelope",
    "route (rules + fan-out records)",
    "wrap deliveries + encode decisions",
    "receipts back to sender (route, wrap)",
)


@dataclass
class WorkResult:
    messages: int
    bytes_in: int
    seconds: float  # the whole loop, every step
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.seconds

    def step_us(self) -> dict[str, float]:
        return {k: v / self.messages * 1e6 for k, v in self.step_seconds.items()}


def view_of(world: SyntheticWorld, settings: Settings) -> RegistryView:
    return build_view(
        parties=world.parties,
        services=world.national_services,
        gp_assignments=world.gp_assignments,
        residences=world.residences,
        relationships=world.care_relationships,
        proxies=world.proxy_rights,
        opt_outs=world.core_journal_opt_outs,
        patient_key=patient_key_fn(settings),
        today=date.today(),
    )


def run_work_baseline(
    settings: Settings, world: SyntheticWorld, items: Sequence[TrafficItem]
) -> WorkResult:
    """One pass over ``items``; the pipeline's per-message work without any I/O."""
    codec = default_codec()
    view = view_of(world, settings)
    rules = load_rule_set(settings.routing_rules)
    key_fn = patient_key_fn(settings)
    limits = ParseLimits(max_bytes=settings.xml_max_bytes, max_depth=settings.xml_max_depth)
    states: dict[str, PatientState] = {}
    steps = dict.fromkeys(STEPS, 0.0)
    clock = time.perf_counter
    total = 0.0
    for n, item in enumerate(items):
        origin = Origin("raw.epj", 0, n, None, item.expected.msg_id.encode(), ())
        traceparent = f"00-{n:032x}-{n:016x}-01"
        t0 = clock()
        parse_message(item.data, limits=limits)
        t1 = clock()
        result = validate(
            item.data,
            origin=origin,
            registry=view,
            patient_key=key_fn,
            limits=limits,
            reject_unknown_receiver=settings.reject_unknown_receiver,
            test_environment=settings.test_environment,
            traceparent=traceparent,
        )
        t2 = clock()
        receipts = [codec.encode("Receipt", r) for r in result.receipts]
        if not isinstance(result, Accepted):
            codec.encode("DeadLetter", result.dead_letter)
            t3 = clock()
            steps["parse XML"] += t1 - t0
            steps["validate: checks + map + receipts"] += (t2 - t1) - (t1 - t0)
            steps["encode canonical + receipts"] += t3 - t2
            total += (t3 - t2) + (t2 - t1)
            continue
        canonical = codec.encode("CanonicalEvent", result.event)
        t3 = clock()
        record = codec.decode_head("CanonicalEvent", canonical, "payload")  # as the route agent
        t4 = clock()
        key = record["patient"]["patient_key"] if record.get("patient") else None
        state = states.get(key, PatientState()) if key else PatientState()
        outcome = route_event(
            record,
            view=view,
            rules=rules,
            state=state,
            now=datetime.now(UTC),
            overdue_after=settings.overdue_after,
            traceparent=traceparent,
            person_key=key_fn,
        )
        if key:
            states[key] = outcome.state
        t5 = clock()
        for d in outcome.deliveries:
            # as the route agent: the consumed event bytes spliced into each Delivery
            fields = {k: v for k, v in d.record.items() if k != "content"}
            codec.wrap("Delivery", fields, canonical)
        for decision in outcome.decisions:
            codec.encode("Decision", decision)
        t6 = clock()
        for content, raw_receipt in zip(result.receipts, receipts, strict=True):
            back = back_to_sender(  # as validate does, with the receipt it has just encoded
                RECEIPT,
                content,
                content["receipt_id"],
                content["receiver"]["her_id"],
                is_test=content["is_test"],
                view=view,
                now=datetime.now(UTC),
            )
            if back is not None:  # the receipt bytes spliced into the Delivery
                fields = {k: v for k, v in back.record.items() if k != "content"}
                codec.wrap("Delivery", fields, raw_receipt)
        t7 = clock()
        parse = t1 - t0
        for name, dt in zip(
            STEPS,
            (parse, (t2 - t1) - parse, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6),
            strict=True,
        ):
            steps[name] += dt
        total += t7 - t1  # the validate call already includes one parse
    return WorkResult(len(items), sum(len(i.data) for i in items), total, steps)
