"""Type-specific fields of the documents carried in a MsgHead (``body`` and event semantics).

Each reader looks only at the few elements the router needs, by local name within the
document's own namespace (PLO's common elements live in the poKomponent namespace, so PLO is
read by local name over direct children).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.model import Action
from schemas.xml._tree import Element, id_at, kids, split_tag, tags, text_at, text_of, v_at

_ACTIONS = {"N": Action.NEW, "M": Action.CHANGE, "C": Action.CANCEL, "A": Action.ADDENDUM}


@dataclass(slots=True)
class DocumentFacts:
    """What a payload document contributes to the parsed message."""

    action: Action | None = None
    document_id: str | None = None
    priority: str | None = None
    body: dict[str, str] = field(default_factory=dict)


def action_of(code: str | None) -> Action | None:
    return _ACTIONS.get((code or "").strip().upper())


def _local(tag: object) -> str:
    """The local name of a child's tag (as :func:`split_tag`, without building the pair)."""
    if not isinstance(tag, str):
        return ""
    return tag.partition("}")[2] if tag.startswith("{") else tag


def _child(node: Element, local: str) -> Element | None:
    for kid in node:
        if _local(kid.tag) == local:
            return kid
    return None


def read_document(doc: Element, standard: str) -> DocumentFacts:
    ns, local = split_tag(doc.tag)
    facts = DocumentFacts()
    facts.body["document"] = local
    if standard == "dialogmelding":
        _dialog(doc, ns, facts)
    elif standard == "plo":
        _plo(doc, ns, local, facts)
    elif standard == "henvisning":
        _henvisning2(doc, ns, facts)
    return facts


def _dialog(doc: Element, ns: str, facts: DocumentFacts) -> None:
    t = tags(ns)
    doc_index = kids(doc)
    notat = doc_index.get(t["Notat"])
    foresp = doc_index.get(t["Foresporsel"])
    if notat is not None:
        notat_index = kids(notat)
        facts.body["dialogue_kind"] = "notat"
        _put(facts, "theme_code", v_at(notat_index, t["TemaKodet"]))
        _put(facts, "document_ref", text_at(notat_index, t["DokIdNotat"]))
        foresp = notat_index.get(t["Foresporsel"])
        foresp_index = kids(foresp)
        # an answer quotes the question it answers (DokIdForesp): Dialogmelding 1.0 senders
        # often write no ConversationRef, and this is then the only link to the question
        _put(facts, "request_document_ref", text_at(foresp_index, t["DokIdForesp"]))
    else:
        foresp_index = kids(foresp)
        if foresp is not None:
            facts.body["dialogue_kind"] = "foresporsel"
            _put(facts, "document_ref", text_at(foresp_index, t["DokIdForesp"]))
    if foresp is not None:
        _put(facts, "question_type", v_at(foresp_index, t["TypeForesp"]))


def _plo(doc: Element, ns: str, local: str, facts: DocumentFacts) -> None:
    info = _child(doc, "InformasjonOmForsendelsen")
    if info is not None:
        status = _child(info, "Forsendelsesstatus")
        facts.action = action_of(status.get("V") if status is not None else None)
        answer = text_of(_child(info, "SvarPaaForesporsel"))
        if answer is not None:
            facts.body["answer_to_request"] = answer.lower()
    if local == "Pasientlogistikk":
        # the kind of logistics message is the child in the root's own namespace
        kinds = [split_tag(k.tag)[1] for k in doc if split_tag(k.tag)[0] == ns]
        if kinds:
            facts.body["logistics_kind"] = kinds[-1]


def _henvisning2(doc: Element, ns: str, facts: DocumentFacts) -> None:
    t = tags(ns)
    doc_index = kids(doc)
    facts.action = action_of(v_at(doc_index, t["ServType"]))
    facts.document_id = id_at(doc_index, t["DocumentId"])
    urgency = v_at(kids(doc_index.get(t["ReqServ"])), t["Priority"])
    facts.priority = urgency
    _put(facts, "urgency", urgency)
    # the first TypeInnhold anywhere below the root, as the path ``.//TypeInnhold`` finds it
    content = next(doc.iterdescendants(_TYPE_INNHOLD), None)
    if content is not None:
        _put(facts, "referral_kind", content.get("V"))


_PO_2017 = "http://ehelse.no/xmlstds/po/poKomponent/2017-11-30"
_TYPE_INNHOLD = f"{{{_PO_2017}}}TypeInnhold"


def _put(facts: DocumentFacts, key: str, value: str | None) -> None:
    if value:
        facts.body[key] = value
