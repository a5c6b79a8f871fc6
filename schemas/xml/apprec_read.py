"""AppRec 1.0/1.1 → :class:`ParsedMessage`, leniently (STANDARDS §5: optional CV attributes,
non-UUID ids and unknown status codes occur in real traffic and are carried, not refused)."""

from __future__ import annotations

from schemas.model import HeaderFamily, ParsedMessage
from schemas.xml._party import hcp_party_at
from schemas.xml._tree import Element, kids, kids_and_all, parse_datetime, tags, text_at, v_at
from schemas.xml.catalog import APPREC_NS
from schemas.xml.errors import IncompleteMessageError


def read_apprec(root: Element, ns: str, raw: bytes) -> ParsedMessage:
    t = tags(ns)
    index, error_els = kids_and_all(root, t["Error"])
    msg_type = (v_at(index, t["MsgType"]) or "").upper()
    if not msg_type:
        raise IncompleteMessageError("AppRec/MsgType is missing")
    id_el = index.get(t["Id"])
    if id_el is None:
        raise IncompleteMessageError("AppRec/Id is missing")
    generated = parse_datetime(text_at(index, t["GenDate"]))
    if generated is None:
        raise IncompleteMessageError("AppRec/GenDate is missing or not a date-time")
    body: dict[str, str] = {}
    status = index.get(t["Status"])
    if status is not None:
        body["status"] = (status.get("V") or "").strip()
        if status.get("DN"):
            body["status_text"] = status.get("DN") or ""
    errors = [e.get("V") or "" for e in error_els]
    if errors:
        body["errors"] = ",".join(errors)
        body["error_texts"] = " | ".join(_error_text(e) for e in error_els)
    original = kids(index.get(t["OriginalMsgId"]))
    original_id = text_at(original, t["Id"])
    sender = kids(index.get(t["Sender"]))
    receiver = kids(index.get(t["Receiver"]))
    role = t["Role"]
    for key, value in (
        ("original_msg_type", v_at(original, t["MsgType"])),
        ("original_issue_date", text_at(original, t["IssueDate"])),
        ("original_msg_id", original_id.lower() if original_id else None),
        ("sender_role", v_at(sender, role)),
        ("receiver_role", v_at(receiver, role)),
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
        sender=hcp_party_at(t, sender),
        receiver=hcp_party_at(t, receiver),
        raw=raw,
        related_request_id=original_id.lower() if original_id else None,
        body=body,
    )


def _error_text(error: Element) -> str:
    parts = [error.get("V") or "", error.get("DN") or "", error.get("OT") or ""]
    return ": ".join(p for p in parts if p)
