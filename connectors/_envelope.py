"""What the connectors need from a message's envelope — the one place that calls the XML layer.

Keeping the call here means sources depend on a tiny value (:class:`Envelope`) and unit tests can
replace :func:`read_envelope` with a stub.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from schemas.errors import MessageError

from .sdk import headers as h
from .sdk.exceptions import BadRecordError
from .sdk.records import Position, Record

__all__ = ["Envelope", "accepts", "read_envelope", "to_record"]


@dataclass(frozen=True, slots=True)
class Envelope:
    message_id: str
    msg_type: str
    sender_her_ids: tuple[str, ...]  # the unit's and the organisation's, most specific first
    recipient_her_id: str | None
    conversation_id: str | None


def read_envelope(data: bytes) -> Envelope:
    """Parse ``data``; raise :class:`BadRecordError` (with the AppRec code) when it is unusable."""
    from schemas.xml import parse_message

    try:
        msg = parse_message(data)
    except MessageError as exc:
        raise BadRecordError(exc.detail, code=exc.code) from None
    senders = tuple(dict.fromkeys(x for x in (msg.sender.unit_her_id, msg.sender.org_her_id) if x))
    return Envelope(
        message_id=msg.message_id,
        msg_type=msg.msg_type,
        sender_her_ids=senders,
        recipient_her_id=msg.receiver.her_id,
        conversation_id=msg.conversation_id,
    )


def accepts(patterns: Sequence[str] | None, msg_type: str) -> bool:
    """True when ``msg_type`` matches one of the glob ``patterns`` (``None``: every type)."""
    return patterns is None or any(fnmatch.fnmatchcase(msg_type, p) for p in patterns)


def to_record(
    data: bytes,
    envelope: Envelope,
    *,
    position: Position | None = None,
    authenticated_sender: str | None = None,
) -> Record:
    """The raw-topic record of one message, origin in the headers.

    Keyed by the sender's HER-id, so one sender's messages keep their order through the
    pipeline (a change never overtakes the document it changes); the message id travels in a
    header and in the record."""
    headers: h.Headers = (
        (h.MESSAGE_TYPE, envelope.msg_type.encode()),
        (h.CONTENT_TYPE, b"application/xml"),
    )
    if envelope.conversation_id:
        headers = h.with_header(headers, h.CONVERSATION_ID, envelope.conversation_id)
    if envelope.recipient_her_id:
        headers = h.with_header(headers, h.RECIPIENT_HER_ID, envelope.recipient_her_id)
    if authenticated_sender:
        headers = h.with_header(headers, h.SENDER_HER_ID, authenticated_sender)
    return Record(
        value=data,
        key=(
            envelope.sender_her_ids[0] if envelope.sender_her_ids else envelope.message_id
        ).encode(),
        headers=headers,
        position=position,
        message_id=envelope.message_id or None,  # an empty MsgId: published, never deduplicated
    )
