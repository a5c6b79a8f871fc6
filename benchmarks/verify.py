"""No loss, no duplicates: every input ends as deliveries or a dead letter, and no (message,
recipient, person) is delivered twice. Reads every committed output of the run, decoded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from streams.harness import Outputs, collect, content_message_id
from streams.settings import Settings
from streams.synthetic import TrafficItem
from streams.synthetic.expected import BROADCAST_TYPES


def must_reach_someone(item: TrafficItem) -> bool:
    """Whether the input must produce an output whatever the order of processing. A broadcast
    core-journal event reaches the care relationships that exist when it is routed; one started
    by an admission arriving on another raw topic may or may not be there yet (sources are not
    ordered with each other), so those events may rightly reach nobody."""
    e = item.expected
    if e.dead_letter:
        return True
    return bool(e.recipients) and e.msg_type not in BROADCAST_TYPES


@dataclass
class Accounting:
    inputs: int
    delivered_distinct: int  # inputs with at least one content delivery
    dead_letters: int
    no_output_expected: int  # may rightly reach nobody (see must_reach_someone)
    deliveries: int
    receipts_delivered: int
    lost: list[str] = field(default_factory=list)
    # a (message, recipient) delivered under two different delivery ids: a real duplicate
    duplicated: list[tuple[str, str, str]] = field(default_factory=list)
    # records read again after a rebalance or restart carry the same delivery id (sinks
    # deduplicate on it): counted, not a failure
    redelivered: int = 0
    # broadcast events that reached nobody because the care relationship they follow was not
    # there yet when they were routed (see must_reach_someone): not a loss, but counted
    order_dependent: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated

    def summary(self) -> str:
        return (
            f"in {self.inputs} = delivered {self.delivered_distinct} + dead letters "
            f"{self.dead_letters} + nothing-to-deliver {self.no_output_expected}"
            f" + order-dependent unreached {len(self.order_dependent)}"
            f" + lost {len(self.lost)}; duplicated deliveries {len(self.duplicated)}"
            f" (same-id redeliveries {self.redelivered})"
        )


def account(items: Sequence[TrafficItem], out: Outputs) -> Accounting:
    ids = {i.expected.msg_id for i in items}
    dead = {str(d.get("message_id")) for d in out.dead_letters} & ids
    counts: Counter[tuple[str, str, str]] = Counter()
    ids_of: dict[tuple[str, str, str], set[str]] = {}
    delivered: set[str] = set()
    receipts = 0
    for _topic, d, _seen in out.deliveries:
        content_id = content_message_id(d)
        # a message gets one AppRec per addressed party (primary and copies): tell them apart
        name, content = d["content"]
        unit = f"receipt:{content['receipt_id']}" if name.endswith("Receipt") else content_id
        key = (unit, str(d["recipient_her_id"]), str(d.get("recipient_person")))
        counts[key] += 1
        ids_of.setdefault(key, set()).add(str(d["delivery_id"]))
        if content_id.startswith("apprec:"):
            receipts += 1
        elif content_id in ids:
            delivered.add(content_id)
    accounted = delivered | dead
    nothing = {
        i.expected.msg_id for i in items if not i.expected.recipients and not i.expected.dead_letter
    } - accounted
    optional = {i.expected.msg_id for i in items if not must_reach_someone(i)}
    order_dependent = sorted((ids - accounted - nothing) & optional)
    lost = sorted(ids - accounted - nothing - optional)
    return Accounting(
        inputs=len(ids),
        delivered_distinct=len(delivered),
        dead_letters=len(dead),
        no_output_expected=len(nothing),
        deliveries=sum(n for k, n in counts.items() if not k[0].startswith("receipt:")),
        receipts_delivered=receipts,
        lost=lost,
        duplicated=sorted(k for k, ids in ids_of.items() if len(ids) > 1),
        redelivered=sum(counts.values()) - len(counts),
        order_dependent=order_dependent,
    )


async def verify(
    settings: Settings,
    start: dict[TopicPartition, int],
    items: Sequence[TrafficItem],
    deadline_s: float = 120.0,
) -> Accounting:
    must = {i.expected.msg_id for i in items if must_reach_someone(i)}

    def done(out: Outputs) -> bool:
        dead = {str(d.get("message_id")) for d in out.dead_letters}
        return must <= (out.delivered_message_ids() | dead)

    out = await collect(settings, start, until=done, deadline_s=deadline_s, quiet_s=2.0)
    return account(items, out)
