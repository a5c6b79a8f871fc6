"""MsgHead v1.2 envelope (Hodemelding) → :class:`ParsedMessage`."""

from __future__ import annotations

from schemas.model import Action, HeaderFamily, ParsedMessage
from schemas.xml._party import msghead_party, msghead_patient
from schemas.xml._tree import Element, first_element_child, parse_datetime, reader, split_tag
from schemas.xml.catalog import BASE64_NS, MSGHEAD_NS, OPAQUE, document_standard
from schemas.xml.documents import DocumentFacts, read_document
from schemas.xml.errors import IncompleteMessageError

_R = reader(MSGHEAD_NS)
_TEST_STATUS = frozenset({"D", "T"})  # kodeverk 8213: D Debugging (and T used by some senders)


def _payload(root: Element) -> tuple[Element | None, int]:
    """The business document and the number of attachments."""
    payload: Element | None = None
    attachments = 0
    for doc in _R.all(root, "Document"):
        ref = _R.el(doc, "RefDoc")
        kind = (_R.v(ref, "MsgType") or "").upper()
        content = first_element_child(_R.el(ref, "Content"))
        if kind == "A" or (content is not None and split_tag(content.tag)[0] == BASE64_NS):
            attachments += 1
        elif payload is None and content is not None:
            payload = content
    return payload, attachments


def read_msghead(root: Element, raw: bytes) -> ParsedMessage:
    info = _R.el(root, "MsgInfo")
    if info is None:
        raise IncompleteMessageError("MsgHead without MsgInfo")
    msg_type = (_R.v(info, "Type") or "").upper()
    if not msg_type:
        raise IncompleteMessageError("MsgInfo/Type is missing")
    msg_id_el = _R.el(info, "MsgId")
    if msg_id_el is None:
        raise IncompleteMessageError("MsgInfo/MsgId is missing")
    generated = parse_datetime(_R.text(info, "GenDate"))
    if generated is None:
        raise IncompleteMessageError("MsgInfo/GenDate is missing or not a date-time")

    payload, attachments = _payload(root)
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
    mig = _R.text(info, "MIGversion")
    if mig:
        body["header_version"] = mig

    conv = _R.el(info, "ConversationRef")
    parent = _R.text(conv, "RefToParent")
    conversation = _R.text(conv, "RefToConversation")
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
        msghead_party(_R, other)
        for other in _R.all(info, "OtherReceiver")
        if (_R.v(other, "RoleReceiver") or "COP").upper() == "COP"
    )
    return ParsedMessage(
        family=HeaderFamily.MSGHEAD,
        msg_type=msg_type,
        standard=standard,
        standard_version=version,
        root_namespace=doc_ns,
        message_id=message_id,
        generated_at=generated,
        sender=msghead_party(_R, _R.el(info, "Sender")),
        receiver=msghead_party(_R, _R.el(info, "Receiver")),
        raw=raw,
        copy_receivers=copies,
        patient=msghead_patient(_R, _R.el(info, "Patient")),
        action=action,
        document_id=document_id.strip().lower() if document_id else None,
        refers_to_parent=parent.lower() if parent else None,
        conversation_id=conversation.lower() if conversation else None,
        is_test=(_R.v(info, "ProcessingStatus") or "").upper() in _TEST_STATUS,
        priority=facts.priority or _R.v(info, "RequestedPriority"),
        body=body,
    )
