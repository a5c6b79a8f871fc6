"""Type-specific fields of the documents carried in a MsgHead (``body`` and event semantics).

Each reader looks only at the few elements the router needs, by local name within the
document's own namespace (PLO's common elements live in the poKomponent namespace, so PLO is
read by local name over direct children).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.model import Action
from schemas.xml._tree import Element, reader, split_tag, text_of

_ACTIONS = {"N": Action.NEW, "M": Action.CHANGE, "C": Action.CANCEL}


@dataclass(slots=True)
class DocumentFacts:
    """What a payload document contributes to the parsed message."""

    action: Action | None = None
    document_id: str | None = None
    priority: str | None = None
    body: dict[str, str] = field(default_factory=dict)


def action_of(code: str | None) -> Action | None:
    return _ACTIONS.get((code or "").strip().upper())


def _child(node: Element, local: str) -> Element | None:
    for kid in node:
        if split_tag(kid.tag)[1] == local:
            return kid
    return None


def read_document(doc: Element, standard: str) -> DocumentFacts:
    ns, local = split_tag(doc.tag)
    facts = DocumentFacts()
    facts.body["document"] = local
    if standard == "dialogmelding":
        _dialog(doc, ns, facts)
    elif standard == "plo":
        _plo(doc, ns, facts)
    elif standard == "henvisning":
        _henvisning2(doc, ns, facts)
    return facts


def _dialog(doc: Element, ns: str, facts: DocumentFacts) -> None:
    r = reader(ns)
    notat = r.el(doc, "Notat")
    foresp = r.el(doc, "Foresporsel")
    if notat is not None:
        facts.body["dialogue_kind"] = "notat"
        _put(facts, "theme_code", r.v(notat, "TemaKodet"))
        _put(facts, "document_ref", r.text(notat, "DokIdNotat"))
        foresp = r.el(notat, "Foresporsel")
    elif foresp is not None:
        facts.body["dialogue_kind"] = "foresporsel"
        _put(facts, "document_ref", r.text(foresp, "DokIdForesp"))
    if foresp is not None:
        _put(facts, "question_type", r.v(foresp, "TypeForesp"))


def _plo(doc: Element, ns: str, facts: DocumentFacts) -> None:
    info = _child(doc, "InformasjonOmForsendelsen")
    if info is not None:
        status = _child(info, "Forsendelsesstatus")
        facts.action = action_of(status.get("V") if status is not None else None)
        answer = text_of(_child(info, "SvarPaaForesporsel"))
        if answer is not None:
            facts.body["answer_to_request"] = answer.lower()
    if split_tag(doc.tag)[1] == "Pasientlogistikk":
        # the kind of logistics message is the child in the root's own namespace
        kinds = [split_tag(k.tag)[1] for k in doc if split_tag(k.tag)[0] == ns]
        if kinds:
            facts.body["logistics_kind"] = kinds[-1]


def _henvisning2(doc: Element, ns: str, facts: DocumentFacts) -> None:
    r = reader(ns)
    facts.action = action_of(r.v(doc, "ServType"))
    facts.document_id = r.text(doc, "DocumentId")
    urgency = r.v(doc, "ReqServ", "Priority")
    facts.priority = urgency
    _put(facts, "urgency", urgency)
    content = doc.find(f".//{{{_PO_2017}}}TypeInnhold")
    if content is not None:
        _put(facts, "referral_kind", content.get("V"))


_PO_2017 = "http://ehelse.no/xmlstds/po/poKomponent/2017-11-30"


def _put(facts: DocumentFacts, key: str, value: str | None) -> None:
    if value:
        facts.body[key] = value
