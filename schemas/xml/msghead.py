"""MsgHead v1.2 envelope (Hodemelding) → :class:`ParsedMessage`."""

from __future__ import annotations

from schemas.model import Action, HeaderFamily, ParsedMessage
from schemas.xml._party import msghead_party, msghead_patient
from schemas.xml._tree import (
    Element,
    NsReader,
    first_element_child,
    parse_datetime,
    reader,
    split_tag,
)
from schemas.xml.catalog import BASE64_NS, MSGHEAD_NS, OPAQUE, document_standard
from schemas.xml.documents import DocumentFacts, read_document
from schemas.xml.errors import IncompleteMessageError

_TEST_STATUS = frozenset({"D", "T"})  # kodeverk 8213: D Debugging (and T used by some senders)


def _payload(r: NsReader, root: Element) -> tuple[Element | None, int]:
    """The business document and the number of attachments."""
    payload: Element | None = None
    attachments = 0
    for doc in r.all(root, "Document"):
        ref = r.el(doc, "RefDoc")
        kind = (r.v(ref, "MsgType") or "").upper()
        content = first_element_child(r.el(ref, "Content"))
        if kind == "A" or (content is not None and split_tag(content.tag)[0] == BASE64_NS):
            attachments += 1
        elif payload is None and content is not None:
            payload = content
    return payload, attachments


def read_msghead(root: Element, raw: bytes) -> ParsedMessage:
    r = reader(MSGHEAD_NS)
    info = r.el(root, "MsgInfo")
    if info is None:
        raise IncompleteMessageError("MsgHead without MsgInfo")
    msg_type = (r.v(info, "Type") or "").upper()
    if not msg_type:
        raise IncompleteMessageError("MsgInfo/Type is missing")
    msg_id_el = r.el(info, "MsgId")
    if msg_id_el is None:
        raise IncompleteMessageError("MsgInfo/MsgId is missing")
    generated = parse_datetime(r.text(info, "GenDate"))
    if generated is None:
        raise IncompleteMessageError("MsgInfo/GenDate is missing or not a date-time")

    payload, attachments = _payload(r, root)
    if payload is not None:
        doc_ns = split_tag(payload.tag)[0]
        standard, version = document_standard(doc_ns)
        facts = read_document(payload, standard)
    else:
        doc_ns, standard, version, facts = MSGHEAD_NS, OPAQUE, "", DocumentFacts()
    body = facts.body
    if standard == OPAQUE and payload is not None:
        body["document_namespace"] = doc_ns
    if attachments:
        body["attachments"] = str(attachments)
    mig = r.text(info, "MIGversion")
    if mig:
        body["header_version"] = mig

    conv = r.el(info, "ConversationRef")
    parent = r.text(conv, "RefToParent")
    conversation = r.text(conv, "RefToConversation")
    sent_id = (msg_id_el.text or "").strip()
    message_id = sent_id.lower()
    if sent_id != message_id:
        body["msg_id_as_sent"] = sent_id  # receipts quote the id exactly as the sender wrote it
    action = facts.action or Action.NEW
    document_id = facts.document_id
    if document_id is None and standard == "plo":
        # PLO documents chain by conversation: the first message's id names the document
        document_id = (conversation or message_id).lower()
    copies = tuple(
        msghead_party(r, other)
        for other in r.all(info, "OtherReceiver")
        if (r.v(other, "RoleReceiver") or "COP").upper() == "COP"
    )
    return ParsedMessage(
        family=HeaderFamily.MSGHEAD,
        msg_type=msg_type,
        standard=standard,
        standard_version=version,
        root_namespace=doc_ns,
        message_id=message_id,
        generated_at=generated,
        sender=msghead_party(r, r.el(info, "Sender")),
        receiver=msghead_party(r, r.el(info, "Receiver")),
        raw=raw,
        copy_receivers=copies,
        patient=msghead_patient(r, r.el(info, "Patient")),
        action=action,
        document_id=document_id.strip().lower() if document_id else None,
        refers_to_parent=parent.lower() if parent else None,
        conversation_id=conversation.lower() if conversation else None,
        is_test=(r.v(info, "ProcessingStatus") or "").upper() in _TEST_STATUS,
        priority=facts.priority or r.v(info, "RequestedPriority"),
        body=body,
    )
