"""Standards with their own ``Message`` header → :class:`ParsedMessage`.

Epikrise (``ServRprt``), Svarrapport (``ServReport``), Henvisning 1.x and Rekvisisjon
(``ServReq``). Addressing (STANDARDS §5): Epikrise and Svarrapport go from ``ServProvider`` to
``Requester``; Henvisning and Rekvisisjon from ``Requester`` to ``ServProvider``; copies in
``CopyDest``.
"""

from __future__ import annotations

from schemas.model import Action, HeaderFamily, Observation, ParsedMessage
from schemas.xml._party import hcp_party, message_patient
from schemas.xml._tree import Element, NsReader, all_text, parse_datetime, reader
from schemas.xml.catalog import MESSAGE_NS, normalise_type
from schemas.xml.documents import action_of
from schemas.xml.errors import IncompleteMessageError

_REPORT_ELEMENTS = ("ServReport", "ServRprt", "ServReq")
_REPORTS = frozenset({"epikrise", "svarrapport"})
_CATEGORY_KEY = {
    "svarrapport": "result_category",  # CLIN, MBIO, CYTO, HIST, RTG, CT, UL…
    "rekvisisjon": "requisition_category",
    "henvisning": "referral_kind",  # 8455-style codes, as Henvisning 2.0 TypeInnhold
    "epikrise": "epikrise_kind",
}


def read_message(root: Element, ns: str, raw: bytes) -> ParsedMessage:
    standard, version = MESSAGE_NS[ns]
    r = reader(ns)
    report: Element | None = None
    for local in _REPORT_ELEMENTS:
        report = r.el(root, local)
        if report is not None:
            break
    category_el = r.el(report, "MsgDescr")
    category = None
    if category_el is not None:
        category = category_el.get("V") or (category_el.text or "").strip() or None
    msg_type = normalise_type(r.v(root, "Type"), standard, category)
    if not msg_type:
        raise IncompleteMessageError("Message/Type is missing")
    msg_id_el = r.el(root, "MsgId")
    if msg_id_el is None:
        raise IncompleteMessageError("Message/MsgId is missing")
    generated = parse_datetime(r.v(root, "GenDate") or r.text(root, "GenDate"))
    if generated is None:
        raise IncompleteMessageError("Message/GenDate is missing or not a date-time")

    body: dict[str, str] = {}
    if category:
        body[_CATEGORY_KEY[standard]] = category
    report_status = r.v(report, "Status")
    if report_status:
        body["report_status"] = report_status
    priority = r.v(report, "ReqServ", "Priority")
    if priority:
        body["urgency"] = priority

    sent_id = (msg_id_el.text or "").strip()
    if sent_id != sent_id.lower():
        body["msg_id_as_sent"] = sent_id  # receipts quote the id exactly as the sender wrote it
    providers = hcp_party(r, r.el(report, "ServProvider"))
    requester = hcp_party(r, r.el(report, "Requester"))
    if standard in _REPORTS:
        sender, receiver = providers, requester
        document_id = r.text(report, "ServProvId")
        related = r.text(report, "ServReq", "Id")
    else:
        sender, receiver = requester, providers
        document_id = r.text(report, "Id")
        related = None
    patient_el = r.el(report, "Patient")
    observations = _observations(r, patient_el) if standard == "svarrapport" else ()
    return ParsedMessage(
        family=HeaderFamily.MESSAGE,
        msg_type=msg_type,
        standard=standard,
        standard_version=version,
        root_namespace=ns,
        message_id=sent_id.lower(),
        generated_at=generated,
        sender=sender,
        receiver=receiver,
        raw=raw,
        copy_receivers=tuple(hcp_party(r, c) for c in r.all(report, "CopyDest")),
        patient=message_patient(r, patient_el),
        action=action_of(r.v(report, "ServType")) or Action.NEW,
        document_id=document_id.lower() if document_id else None,
        related_request_id=related.lower() if related else None,
        is_test=(r.v(root, "Status") or "").upper() == "TEST",
        priority=priority,
        body=body,
        observations=observations,
    )


def _observations(r: NsReader, patient: Element | None) -> tuple[Observation, ...]:
    if patient is None:
        return ()
    out: list[Observation] = []
    for item in patient.iter(r.tag("ResultItem")):
        code_el = r.el(item, "Investigation", "Id")
        value: str | None = None
        unit: str | None = None
        num = r.el(item, "NumResult", "NumResultValue")
        if num is not None:
            value = num.get("V")
            unit = num.get("U")
        else:
            text_result = r.el(item, "TextResult")
            value = all_text(r.el(text_result, "TextResultValue")) or r.v(text_result, "TextCode")
        deviation = r.v(item, "DevResultInd")
        out.append(
            Observation(
                code=code_el.get("V") if code_el is not None else None,
                code_system=code_el.get("S") if code_el is not None else None,
                name=(code_el.get("DN") or code_el.get("OT")) if code_el is not None else None,
                value=value,
                unit=unit,
                status=r.v(item, "StatusInvestigation"),
                action=action_of(r.v(item, "ServType")),
                abnormal=None if deviation is None else deviation not in ("0", "N"),
            )
        )
    return tuple(out)
