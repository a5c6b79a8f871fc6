"""MsgHead v1.2 envelope (Hodemelding) → :class:`ParsedMessage`."""

from __future__ import annotations

import re
from dataclasses import replace

from schemas.errors import MessageError
from schemas.model import Action, HeaderFamily, ParsedMessage, Party
from schemas.xml._party import (
    msghead_party,
    msghead_party_at,
    msghead_patient,
    require_identified_sender,
)
from schemas.xml._tree import (
    Element,
    first_element_child,
    id_at,
    keep_as_sent,
    kids,
    kids_and_all,
    parse_datetime,
    split_tag,
    text_at,
    v_at,
)
from schemas.xml.catalog import BASE64_NS, MSGHEAD_NS, OPAQUE, document_standard
from schemas.xml.documents import DocumentFacts, read_document
from schemas.xml.errors import IncompleteMessageError, UnidentifiedSenderError

_TEST_STATUS = frozenset({"D", "T"})  # kodeverk 8213: D Debugging (and T used by some senders)

_M = f"{{{MSGHEAD_NS}}}"
_MSG_INFO = _M + "MsgInfo"
_DOCUMENT = _M + "Document"
_REF_DOC = _M + "RefDoc"
_MSG_TYPE = _M + "MsgType"
_CONTENT = _M + "Content"
_TYPE = _M + "Type"
_MSG_ID = _M + "MsgId"
_GEN_DATE = _M + "GenDate"
_MIG_VERSION = _M + "MIGversion"
_CONVERSATION_REF = _M + "ConversationRef"
_REF_TO_PARENT = _M + "RefToParent"
_REF_TO_CONVERSATION = _M + "RefToConversation"
_OTHER_RECEIVER = _M + "OtherReceiver"
_ROLE_RECEIVER = _M + "RoleReceiver"
_SENDER = _M + "Sender"
_RECEIVER = _M + "Receiver"
_PATIENT = _M + "Patient"
_PROCESSING_STATUS = _M + "ProcessingStatus"
_REQUESTED_PRIORITY = _M + "RequestedPriority"


def _payload(documents: list[Element]) -> tuple[Element | None, int, int]:
    """The business document, the number of attachments and the number of further XML
    documents (a prescription renewal request carries the prescriptions after its dialogue
    message): the first is the payload, the others travel in the original bytes, counted."""
    payload: Element | None = None
    attachments = 0
    others = 0
    for doc in documents:
        ref = kids(kids(doc).get(_REF_DOC))
        kind = (v_at(ref, _MSG_TYPE) or "").upper()
        content = first_element_child(ref.get(_CONTENT))
        if kind == "A" or (content is not None and split_tag(content.tag)[0] == BASE64_NS):
            attachments += 1
        elif payload is None and content is not None:
            payload = content
        elif content is not None:
            others += 1
    return payload, attachments, others


_CODE = re.compile(r"[A-Z0-9_]+")


def _type_code(node: Element | None) -> str:
    """Kodeverk 8279 code of ``MsgInfo/Type``, upper-cased.

    NAV's medical statements swap the attributes (``V="Legerklæring ved arbeidsuførhet"
    DN="LEGEERKL"``): when ``V`` is a phrase and ``DN`` a code, the code is taken from ``DN``.
    """
    if node is None:
        return ""
    value = (node.get("V") or "").strip()
    if " " in value:
        shown = (node.get("DN") or "").strip()
        if _CODE.fullmatch(shown):
            return shown
    return value.upper()


_MSGHEAD = _M + "MsgHead"
_DOCUMENT_KEYS = frozenset({"document", "document_namespace"})  # the outer's opaque document


def read_msghead(root: Element, raw: bytes) -> ParsedMessage:
    """The message of a MsgHead; a whole MsgHead sent as its business document (an EPJ quirk
    seen in NAV traffic) gives the inner message's document and, when the outer has none, its
    patient, under the outer envelope's addressing (the one the AppRec answers)."""
    outer, inner_root = _read_msghead(root, raw)
    if inner_root is None:
        return outer
    try:
        inner, _ = _read_msghead(inner_root, raw)  # one level only: deeper stays opaque
    except MessageError:
        return outer  # carried as the opaque document it looked like
    envelope = {k: v for k, v in outer.body.items() if k not in _DOCUMENT_KEYS}
    body = {**inner.body, **envelope, "nested_msghead": "true"}
    return replace(
        outer,
        standard=inner.standard,
        standard_version=inner.standard_version,
        root_namespace=inner.root_namespace,
        patient=outer.patient or inner.patient,
        action=inner.action,
        document_id=inner.document_id,
        priority=outer.priority or inner.priority,
        body=body,
        observations=inner.observations,
    )


def _read_msghead(root: Element, raw: bytes) -> tuple[ParsedMessage, Element | None]:
    """The message, and the MsgHead sent as its business document if there is one."""
    root_index, documents = kids_and_all(root, _DOCUMENT)
    info_el = root_index.get(_MSG_INFO)
    if info_el is None:
        raise IncompleteMessageError("MsgHead without MsgInfo")
    info, others = kids_and_all(info_el, _OTHER_RECEIVER)
    msg_type = _type_code(info.get(_TYPE))
    if not msg_type:
        raise IncompleteMessageError("MsgInfo/Type is missing")
    msg_id_el = info.get(_MSG_ID)
    if msg_id_el is None:
        raise IncompleteMessageError("MsgInfo/MsgId is missing")
    gen_date = text_at(info, _GEN_DATE)
    generated = parse_datetime(gen_date)
    if generated is None:
        raise IncompleteMessageError("MsgInfo/GenDate is missing or not a date-time")
    sender_el = info.get(_SENDER)
    receiver_el = info.get(_RECEIVER)
    # exactly one of each in MsgHead v1.2
    if sender_el is None:
        raise UnidentifiedSenderError("MsgInfo/Sender is missing")
    if receiver_el is None:
        raise IncompleteMessageError("MsgInfo/Receiver is missing")
    sender = require_identified_sender(msghead_party(sender_el), "MsgInfo/Sender")

    payload, attachments, other_documents = _payload(documents)
    nested: Element | None = None
    if payload is not None and payload.tag == _MSGHEAD:
        nested = payload  # read by read_msghead; an opaque MsgHead document until then
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
    if other_documents:
        body["other_documents"] = str(other_documents)
    keep_as_sent(body, info.get(_TYPE), msg_type, gen_date, generated)
    mig = text_at(info, _MIG_VERSION)
    if mig:
        body["header_version"] = mig

    conv = kids(info.get(_CONVERSATION_REF))
    parent = id_at(conv, _REF_TO_PARENT)
    conversation = id_at(conv, _REF_TO_CONVERSATION)
    sent_id = (msg_id_el.text or "").strip()
    message_id = sent_id.lower()
    if sent_id != message_id:
        body["msg_id_as_sent"] = sent_id  # receipts quote the id exactly as the sender wrote it
    action = facts.action or Action.NEW
    document_id = facts.document_id
    if document_id is None and standard == "plo":
        # PLO documents chain by conversation: the first message's id names the document
        document_id = (conversation or message_id).lower()
    copies: list[Party] = []
    for other in others:
        other_index = kids(other)
        if (v_at(other_index, _ROLE_RECEIVER) or "COP").upper() == "COP":
            copies.append(msghead_party_at(other_index))
    msg = ParsedMessage(
        family=HeaderFamily.MSGHEAD,
        msg_type=msg_type,
        standard=standard,
        standard_version=version,
        root_namespace=doc_ns,
        message_id=message_id,
        generated_at=generated,
        sender=sender,
        receiver=msghead_party(receiver_el),
        raw=raw,
        copy_receivers=tuple(copies),
        patient=msghead_patient(info.get(_PATIENT)),
        action=action,
        document_id=document_id.strip().lower() if document_id else None,
        refers_to_parent=parent.lower() if parent else None,
        conversation_id=conversation.lower() if conversation else None,
        is_test=(v_at(info, _PROCESSING_STATUS) or "").upper() in _TEST_STATUS,
        priority=facts.priority or v_at(info, _REQUESTED_PRIORITY),
        body=body,
    )
    return msg, nested
