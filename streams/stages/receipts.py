"""AppRec receipts as ``Receipt`` records: one per recognised receiver, per the AppRec rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from schemas.canonical import party_record
from schemas.errors import MessageError
from schemas.model import ParsedMessage, Party
from schemas.xml.apprec import ERROR_TEXTS, AppRecStatus, receipts_for, roles
from schemas.xml.catalog import apprec_version_for

_STATUS = {
    AppRecStatus.OK: "OK",
    AppRecStatus.REJECTED: "REJECTED",
    AppRecStatus.OK_ERRORS_IN_PARTS: "OK_ERROR_IN_PART",
}
_OID_8221 = "2.16.578.1.12.4.1.1.8221"
_RECEIPT_NS = uuid.UUID("7c1d9a52-3e4b-4f8a-9b6e-2d5c8f1a0b37")


def receipt_records(
    msg: ParsedMessage,
    status: AppRecStatus,
    errors: Sequence[MessageError] = (),
    *,
    patient_key: str | None,
    traceparent: str | None,
    is_ours: Callable[[Party], bool] | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The ``Receipt`` records answering ``msg`` (none for an AppRec or an unknown sender)."""
    if msg.receiver.her_id and msg.receiver.her_id == msg.sender.her_id:
        return []  # a broadcast event (sender addressed to itself) is answered by nobody
    now = now or datetime.now(UTC)
    version = apprec_version_for(msg.standard, msg.standard_version)
    records = []
    # deterministic AppRec ids: a message processed again after a crash yields the same
    # receipts, which the delivery back to the sender recognises as the same deliveries
    parties = [msg.receiver, *msg.copy_receivers]
    ids = [
        str(
            uuid.uuid5(
                _RECEIPT_NS,
                f"{msg.sender.her_id}|{msg.message_id}|{status.value}|{party.her_id}|{i}",
            )
        )
        for i, party in enumerate(parties)
    ]
    for index, (receiver_party, xml) in enumerate(
        receipts_for(msg, status, list(errors), is_ours=is_ours, ids=ids, now=now)
    ):
        records.append(
            {
                "receipt_id": uuid.UUID(ids[index]),  # receipts_for used ids in this order
                "generated_at": now,
                "direction": "OUTGOING",
                "sender": party_record(receiver_party),
                "receiver": party_record(msg.sender),
                # as the AppRec XML writes it (none for some 1.0 standards)
                "sender_role": roles(msg, version, receiver_party is not msg.receiver)[0],
                "info": {
                    "status": _STATUS[status],
                    "errors": [
                        {
                            "code": e.code,
                            "code_system": _OID_8221,
                            "description": ERROR_TEXTS.get(e.code),
                            "detail": e.detail,
                        }
                        for e in errors
                    ],
                    "original": {
                        "msg_type": msg.msg_type,
                        "issue_date": msg.generated_at.isoformat(),
                        "message_id": msg.message_id,
                    },
                    "apprec_version": version,
                },
                "apprec_xml": xml,
                "patient_key": patient_key,
                "is_test": msg.is_test,
                "trace": {"traceparent": traceparent, "tracestate": None},
            }
        )
    return records
