"""What a sink needs from a consumed record, whatever its form (pure).

Delivery and canonical-event topics carry framed Avro (``Delivery`` around a ``CanonicalEvent``,
``Receipt`` or ``Overdue``; or a bare ``CanonicalEvent``). The ids come from the record, and
the body handed to an EPJ or endpoint is the original message (the XML as received, or the
AppRec XML of a receipt) when the record carries it. Other records (raw bytes) are described by
their ``samflyt.*`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.errors import SamflytError

from ..sdk import Record
from ..sdk import headers as h

__all__ = ["Unpacked", "unpack"]


@dataclass(frozen=True, slots=True)
class Unpacked:
    message_id: str | None
    delivery_id: str | None
    recipient_her_id: str | None
    sender_her_id: str | None
    conversation_id: str | None
    patient_key: str | None
    message_type: str | None
    body: bytes
    content_type: str


def _decode(value: bytes) -> tuple[str, dict[str, Any]] | None:
    if value[:1] != b"\x00":
        return None
    from schemas.codec import decode

    try:
        return decode(value)
    except SamflytError:
        return None


def _content(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    content = record.get("content")
    if isinstance(content, tuple):
        return str(content[0]), dict(content[1])
    return "", dict(content or {})


def _her(party: Any) -> str | None:
    if isinstance(party, dict):
        return party.get("her_id") or party.get("org_her_id")
    return None


def unpack(record: Record) -> Unpacked:
    """The ids and body of ``record`` (headers fill in what the value does not say)."""
    found: dict[str, Any] = {}
    body, content_type = record.value, record.header(h.CONTENT_TYPE) or "application/xml"
    decoded = _decode(record.value)
    if decoded is not None:
        name, rec = decoded
        content_type = "application/vnd.samflyt.avro"
        if name.endswith(".Delivery"):
            found["delivery_id"] = str(rec.get("delivery_id") or "") or None
            found["recipient"] = rec.get("recipient_her_id")
            name, rec = _content(rec)
        patient = rec.get("patient")
        found["message_id"] = (
            rec.get("message_id") or rec.get("request_message_id") or rec.get("receipt_id")
        )
        found["patient_key"] = (patient or {}).get("patient_key") or rec.get("patient_key")
        found["conversation"] = rec.get("conversation_id")
        found["type"] = rec.get("msg_type") or rec.get("request_msg_type")
        found["sender"] = _her(rec.get("sender"))
        found.setdefault("recipient", _her(rec.get("receiver")))
        original = rec.get("original") or {}
        if isinstance(original.get("content"), bytes):
            body, content_type = (
                original["content"],
                original.get("media_type") or "application/xml",
            )
        elif rec.get("apprec_xml"):
            xml = rec["apprec_xml"]
            body = xml if isinstance(xml, bytes) else str(xml).encode("utf-8")
            content_type = "application/xml"
    message_id = found.get("message_id")
    return Unpacked(
        message_id=str(message_id)
        if message_id
        else record.header(h.MESSAGE_ID) or record.message_id,
        delivery_id=found.get("delivery_id"),
        recipient_her_id=found.get("recipient") or record.header(h.RECIPIENT_HER_ID),
        sender_her_id=found.get("sender") or record.header(h.SENDER_HER_ID),
        conversation_id=found.get("conversation") or record.header(h.CONVERSATION_ID),
        patient_key=found.get("patient_key") or record.header(h.PATIENT_KEY),
        message_type=found.get("type") or record.header(h.MESSAGE_TYPE),
        body=body,
        content_type=content_type,
    )
