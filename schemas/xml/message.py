"""Standards with their own ``Message`` header → :class:`ParsedMessage`.

Epikrise (``ServRprt``), Svarrapport (``ServReport``), Henvisning 1.x and Rekvisisjon
(``ServReq``). Addressing (STANDARDS §5): Epikrise and Svarrapport go from ``ServProvider`` to
``Requester``; Henvisning and Rekvisisjon from ``Requester`` to ``ServProvider``; copies in
``CopyDest``.
"""

from __future__ import annotations

from schemas.model import Action, HeaderFamily, Observation, ParsedMessage
from schemas.xml._party import (
    hcp_party,
    hcp_party_at,
    message_patient,
    require_identified_sender,
)
from schemas.xml._tree import (
    NO_KIDS,
    Element,
    Index,
    TagTable,
    all_text,
    first_kid,
    id_at,
    keep_as_sent,
    kids,
    kids_and_all,
    parse_datetime,
    tags,
    text_at,
    two_kids,
    v_at,
    v_of,
)
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
    t = tags(ns)
    root_index = kids(root)
    report: Element | None = None
    for local in _REPORT_ELEMENTS:
        report = root_index.get(t[local])
        if report is not None:
            break
    rep: Index = NO_KIDS
    copy_dests: list[Element] = []
    if report is not None:
        rep, copy_dests = kids_and_all(report, t["CopyDest"])
    category_el = rep.get(t["MsgDescr"])
    category = None
    if category_el is not None:
        category = category_el.get("V") or (category_el.text or "").strip() or None
    msg_type = normalise_type(v_at(root_index, t["Type"]), standard, category)
    if not msg_type:
        raise IncompleteMessageError("Message/Type is missing")
    msg_id_el = root_index.get(t["MsgId"])
    if msg_id_el is None:
        raise IncompleteMessageError("Message/MsgId is missing")
    gen_date_tag = t["GenDate"]
    gen_date = v_at(root_index, gen_date_tag) or text_at(root_index, gen_date_tag)
    generated = parse_datetime(gen_date)
    if generated is None:
        raise IncompleteMessageError("Message/GenDate is missing or not a date-time")

    body: dict[str, str] = {}
    if category:
        body[_CATEGORY_KEY[standard]] = category
    report_status = v_at(rep, t["Status"])
    if report_status:
        body["report_status"] = report_status
    priority = v_at(kids(rep.get(t["ReqServ"])), t["Priority"])
    if priority:
        body["urgency"] = priority

    sent_id = (msg_id_el.text or "").strip()
    if sent_id != sent_id.lower():
        body["msg_id_as_sent"] = sent_id  # receipts quote the id exactly as the sender wrote it
    keep_as_sent(body, root_index.get(t["Type"]), msg_type, gen_date, generated)
    providers = hcp_party(t, rep.get(t["ServProvider"]))
    requester = hcp_party(t, rep.get(t["Requester"]))
    if standard in _REPORTS:
        sender = require_identified_sender(providers, "ServProvider")
        receiver = requester
        document_id = id_at(rep, t["ServProvId"])
        related = id_at(kids(rep.get(t["ServReq"])), t["Id"])
    else:
        sender = require_identified_sender(requester, "Requester")
        receiver = providers
        document_id = id_at(rep, t["Id"])
        related = None
    patient_el = rep.get(t["Patient"])
    observations = _observations(t, patient_el) if standard == "svarrapport" else ()
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
        copy_receivers=tuple(hcp_party_at(t, kids(c)) for c in copy_dests),
        patient=message_patient(t, patient_el),
        action=action_of(v_at(rep, t["ServType"])) or Action.NEW,
        document_id=document_id.lower() if document_id else None,
        related_request_id=related.lower() if related else None,
        is_test=(v_at(root_index, t["Status"]) or "").upper() == "TEST",
        priority=priority,
        body=body,
        observations=observations,
    )


def _observations(t: TagTable, patient: Element | None) -> tuple[Observation, ...]:
    if patient is None:
        return ()
    investigation_tag, id_tag = t["Investigation"], t["Id"]
    num_result_tag, num_value_tag = t["NumResult"], t["NumResultValue"]
    text_result_tag, text_value_tag, text_code_tag = (
        t["TextResult"],
        t["TextResultValue"],
        t["TextCode"],
    )
    deviation_tag, status_tag, serv_type_tag = (
        t["DevResultInd"],
        t["StatusInvestigation"],
        t["ServType"],
    )
    out: list[Observation] = []
    for item in patient.iter(t["ResultItem"]):
        index = kids(item)
        code_el = first_kid(index.get(investigation_tag), id_tag)
        value: str | None = None
        unit: str | None = None
        num = first_kid(index.get(num_result_tag), num_value_tag)
        if num is not None:
            value = num.get("V")
            unit = num.get("U")
        else:
            text_result = index.get(text_result_tag)
            if text_result is not None:
                text_value, text_code = two_kids(text_result, text_value_tag, text_code_tag)
                value = all_text(text_value) or v_of(text_code)
        deviation = v_at(index, deviation_tag)
        if code_el is not None:
            code, code_system = code_el.get("V"), code_el.get("S")
            name = code_el.get("DN") or code_el.get("OT")
        else:
            code = code_system = name = None
        out.append(
            Observation(
                code=code,
                code_system=code_system,
                name=name,
                value=value,
                unit=unit,
                status=v_at(index, status_tag),
                action=action_of(v_at(index, serv_type_tag)),
                abnormal=None if deviation is None else deviation not in ("0", "N"),
            )
        )
    return tuple(out)
