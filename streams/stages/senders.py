"""Stage 5 (and the overdue notice): what goes back to a message's sender, and on which topic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streams.registries.view import RegistryView
from streams.routing.evaluate import TEST_TOPIC, Grant, topic_for
from streams.stages.route import Delivery, delivery_record


def back_to_sender(
    content_name: str,
    content: dict[str, Any],
    content_id: Any,
    sender_her_id: str | None,
    *,
    is_test: bool,
    view: RegistryView,
    now: datetime,
) -> Delivery | None:
    """The delivery of a receipt or overdue notice to the original sender; None when the sender
    is not in the address register (the caller dead-letters it)."""
    party = view.party(sender_her_id)
    if party is None:
        return None
    reason = "SENDER"
    if is_test:
        grant = Grant(
            party.her_id, party.name, "test", TEST_TOPIC, "TEST_TRAFFIC", "to-sender", "normal"
        )
    else:
        grant = Grant(
            party.her_id,
            party.name,
            party.care_level.value,
            topic_for(party, view),
            reason,
            "to-sender",
            "normal",
        )
    record = delivery_record(
        content_id,
        grant,
        (content_name, content),
        now,
        content.get("trace") or {"traceparent": None, "tracestate": None},
    )
    return Delivery(grant.topic, grant.her_id, record)
