"""AppRec 1.0/1.1 → :class:`ParsedMessage`, leniently (STANDARDS §5: optional CV attributes,
non-UUID ids and unknown status codes occur in real traffic and are carried, not refused)."""

from __future__ import annotations

from schemas.model import HeaderFamily, ParsedMessage
from schemas.xml._party import hcp_party_of
from schemas.xml._tree import (
    NO_KIDS,
    Element,
    kids,
    kids_and_all,
    parse_datetime,
    tags,
    text_of,
    two_kids,
    v_of,
)
from schemas.xml.catalog import APPREC_NS
from schemas.xml.errors import IncompleteMessageError


def read_apprec(root: Element, ns: str, raw: bytes) -> ParsedMessage:
    t = tags(ns)
    index, error_els = kids_and_all(root, t["Error"])
    msg_type = (v_of(index.get(t["MsgType"])) or "").upper()
    if not msg_type:
        raise IncompleteMessageError("AppRec/MsgType is missing")
    id_el = index.get(t["Id"])
    if id_el is None:
        raise IncompleteMessageError("AppRec/Id is missing")
    generated = parse_datetime(text_of(index.get(t["GenDate"])))
    if generated is None:
        raise IncompleteMessageError("AppRec/GenDate is missing or not a date-time")
    body: dict[str, str] = {}
    sent_id = (id_el.text or "").strip()
    if sent_id != sent_id.lower():
        body["msg_id_as_sent"] = sent_id  # as the other readers keep it: ids are compared lower
    status = index.get(t["Status"])
    if status is not None:
        body["status"] = (status.get("V") or "").strip()
        status_text = status.get("DN")
        if status_text:
            body["status_text"] = status_text
    if error_els:
        codes: list[str] = []
        texts: list[str] = []
        for error in error_els:  # each error as "V: DN: OT", leaving out the missing parts
            code = error.get("V")
            codes.append(code or "")
            texts.append(": ".join([p for p in (code, error.get("DN"), error.get("OT")) if p]))
        body["errors"] = ",".join(codes)
        body["error_texts"] = " | ".join(texts)
    original_el = index.get(t["OriginalMsgId"])
    original = NO_KIDS if original_el is None else kids(original_el)
    original_id = text_of(original.get(t["Id"]))
    role_tag, hcp_tag = t["Role"], t["HCP"]
    sender_el = index.get(t["Sender"])
    sender_role, sender_hcp = (
        (None, None) if sender_el is None else two_kids(sender_el, role_tag, hcp_tag)
    )
    receiver_el = index.get(t["Receiver"])
    receiver_role, receiver_hcp = (
        (None, None) if receiver_el is None else two_kids(receiver_el, role_tag, hcp_tag)
    )
    for key, value in (
        ("original_msg_type", v_of(original.get(t["MsgType"]))),
        ("original_issue_date", text_of(original.get(t["IssueDate"]))),
        ("original_msg_id", original_id.lower() if original_id else None),
        ("sender_role", v_of(sender_role)),
        ("receiver_role", v_of(receiver_role)),
    ):
        if value:
            body[key] = value
    return ParsedMessage(
        family=HeaderFamily.APPREC,
        msg_type=msg_type,
        standard="apprec",
        standard_version=APPREC_NS[ns],
        root_namespace=ns,
        message_id=sent_id.lower(),
        generated_at=generated,
        sender=hcp_party_of(t, sender_hcp),
        receiver=hcp_party_of(t, receiver_hcp),
        raw=raw,
        related_request_id=original_id.lower() if original_id else None,
        body=body,
    )
