"""AppRec 1.0/1.1 → :class:`ParsedMessage`, leniently (STANDARDS §5: optional CV attributes,
non-UUID ids and unknown status codes occur in real traffic and are carried, not refused)."""

from __future__ import annotations

from schemas.model import HeaderFamily, ParsedMessage
from schemas.xml._party import hcp_party
from schemas.xml._tree import Element, parse_datetime, reader
from schemas.xml.catalog import APPREC_NS
from schemas.xml.errors import IncompleteMessageError


def read_apprec(root: Element, ns: str, raw: bytes) -> ParsedMessage:
    r = reader(ns)
    msg_type = (r.v(root, "MsgType") or "").upper()
    if not msg_type:
        raise IncompleteMessageError("AppRec/MsgType is missing")
    id_el = r.el(root, "Id")
    if id_el is None:
        raise IncompleteMessageError("AppRec/Id is missing")
    generated = parse_datetime(r.text(root, "GenDate"))
    if generated is None:
        raise IncompleteMessageError("AppRec/GenDate is missing or not a date-time")
    body: dict[str, str] = {}
    status = r.el(root, "Status")
    if status is not None:
        body["status"] = (status.get("V") or "").strip()
        if status.get("DN"):
            body["status_text"] = status.get("DN") or ""
    errors = [e.get("V") or "" for e in r.all(root, "Error")]
    if errors:
        body["errors"] = ",".join(errors)
        body["error_texts"] = " | ".join(_error_text(e) for e in r.all(root, "Error"))
    original = r.el(root, "OriginalMsgId")
    original_id = r.text(original, "Id")
    for key, value in (
        ("original_msg_type", r.v(original, "MsgType")),
        ("original_issue_date", r.text(original, "IssueDate")),
        ("original_msg_id", original_id.lower() if original_id else None),
        ("sender_role", r.v(root, "Sender", "Role")),
        ("receiver_role", r.v(root, "Receiver", "Role")),
    ):
        if value:
            body[key] = value
    return ParsedMessage(
        family=HeaderFamily.APPREC,
        msg_type=msg_type,
        standard="apprec",
        standard_version=APPREC_NS[ns],
        root_namespace=ns,
        message_id=(id_el.text or "").strip().lower(),
        generated_at=generated,
        sender=hcp_party(r, r.el(root, "Sender")),
        receiver=hcp_party(r, r.el(root, "Receiver")),
        raw=raw,
        related_request_id=original_id.lower() if original_id else None,
        body=body,
    )


def _error_text(error: Element) -> str:
    parts = [error.get("V") or "", error.get("DN") or "", error.get("OT") or ""]
    return ": ".join(p for p in parts if p)
