"""String building blocks shared by the message builders: escaping, codes, MsgHead envelope.

Builders are plain string templates (no tree building): the benchmark generates hundreds of
thousands of messages. Element order follows the KITH schemas and the official examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from streams.synthetic.world import SyntheticPatient

__all__ = ["MSGHEAD_NS", "Addressee", "Envelope", "cv", "esc", "msghead", "ts"]

MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"
_ORG_S = "2.16.578.1.12.4.1.1.9051"
_PERSON_S = "2.16.578.1.12.4.1.1.8116"
_TRANS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def esc(text: str) -> str:
    """Escape text for element content and double-quoted attributes."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.translate(_TRANS)
    return text


@lru_cache(maxsize=8192)
def cv(tag: str, v: str, dn: str, s: str | None = None) -> str:
    """A coded value element ``<tag V=".." DN=".." S=".."/>`` (S omitted when None)."""
    oid = "" if s is None else f' S="{s}"'
    return f'<{tag} V="{esc(v)}" DN="{esc(dn)}"{oid}/>'


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True, slots=True)
class Addressee:
    """How a communication party appears in a message: organisation, sub-unit, person."""

    org_name: str
    org_her: str
    unit_name: str | None = None
    unit_her: str | None = None
    person_given: str | None = None
    person_family: str | None = None
    person_her: str | None = None
    person_hpr: str | None = None

    @property
    def her_id(self) -> str:
        """The address deliveries go to: the sub-unit's HER-id, else the organisation's."""
        return self.unit_her or self.org_her

    @property
    def display(self) -> str:
        return self.unit_name or self.org_name


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every message carries, whatever its standard."""

    msg_id: str
    gen_date: datetime
    sender: Addressee
    receiver: Addressee
    patient: SyntheticPatient | None
    copy_receivers: tuple[Addressee, ...] = ()
    parent_id: str | None = None  # ConversationRef/RefToParent
    conversation_id: str | None = None  # ConversationRef/RefToConversation
    test: bool = False


def _ident(her: str, indent: str, person: bool = False) -> str:
    s = _PERSON_S if person else _ORG_S
    return (
        f"{indent}<Ident>\n{indent}\t<Id>{her}</Id>\n"
        f'{indent}\t<TypeId V="HER" DN="HER-id" S="{s}"/>\n{indent}</Ident>\n'
    )


def _organisation(a: Addressee, tag: str) -> str:
    out = [
        f"\t\t<{tag}>\n\t\t\t<Organisation>\n",
        f"\t\t\t\t<OrganisationName>{esc(a.org_name)}</OrganisationName>\n",
        _ident(a.org_her, "\t\t\t\t"),
    ]
    if a.unit_her is not None:
        out += [
            "\t\t\t\t<Organisation>\n",
            f"\t\t\t\t\t<OrganisationName>{esc(a.unit_name or '')}</OrganisationName>\n",
            _ident(a.unit_her, "\t\t\t\t\t"),
            "\t\t\t\t</Organisation>\n",
        ]
    if a.person_her is not None:
        out += [
            "\t\t\t\t<HealthcareProfessional>\n",
            f"\t\t\t\t\t<FamilyName>{esc(a.person_family or '')}</FamilyName>\n",
            f"\t\t\t\t\t<GivenName>{esc(a.person_given or '')}</GivenName>\n",
            _ident(a.person_her, "\t\t\t\t\t", person=True),
            "\t\t\t\t</HealthcareProfessional>\n",
        ]
    out.append(f"\t\t\t</Organisation>\n\t\t</{tag}>\n")
    return "".join(out)


def _patient(p: SyntheticPatient) -> str:
    sex = "Kvinne" if p.sex == "2" else "Mann"
    return (
        "\t\t<Patient>\n"
        f"\t\t\t<FamilyName>{esc(p.family_name)}</FamilyName>\n"
        f"\t\t\t<GivenName>{esc(p.given_name)}</GivenName>\n"
        f"\t\t\t<DateOfBirth>{p.birth_date.isoformat()}</DateOfBirth>\n"
        f'\t\t\t<Sex V="{p.sex}" DN="{sex}"/>\n'
        "\t\t\t<Ident>\n"
        f"\t\t\t\t<Id>{p.national_id}</Id>\n"
        f'\t\t\t\t<TypeId V="FNR" DN="Fødselsnummer" S="{_PERSON_S}"/>\n'
        "\t\t\t</Ident>\n"
        "\t\t\t<Address>\n"
        f"\t\t\t\t<StreetAdr>{esc(p.street)}</StreetAdr>\n"
        f"\t\t\t\t<City>{esc(p.city)}</City>\n"
        "\t\t\t</Address>\n"
        "\t\t</Patient>\n"
    )


def msghead(
    env: Envelope,
    type_v: str,
    type_dn: str,
    content: str,
    issue_date: datetime | None = None,
    type_s: str | None = None,
) -> str:
    """A MsgHead v1.2 document (text) around one XML ``content`` element (already serialised)."""
    oid = "" if type_s is None else f' S="{type_s}"'
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<MsgHead xmlns="{MSGHEAD_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{MSGHEAD_NS} MsgHead-v1_2.xsd">\n',
        "\t<MsgInfo>\n",
        f'\t\t<Type V="{type_v}" DN="{esc(type_dn)}"{oid}/>\n',
        "\t\t<MIGversion>v1.2 2006-05-24</MIGversion>\n",
        f"\t\t<GenDate>{ts(env.gen_date)}</GenDate>\n",
        f"\t\t<MsgId>{esc(env.msg_id)}</MsgId>\n",
    ]
    if env.test:
        head.append('\t\t<ProcessingStatus V="D" DN="Debugging"/>\n')
    if env.conversation_id is not None:
        head.append(
            "\t\t<ConversationRef>\n"
            f"\t\t\t<RefToParent>{env.parent_id or env.conversation_id}</RefToParent>\n"
            f"\t\t\t<RefToConversation>{env.conversation_id}</RefToConversation>\n"
            "\t\t</ConversationRef>\n"
        )
    head.append(_organisation(env.sender, "Sender"))
    head.append(_organisation(env.receiver, "Receiver"))
    for copy in env.copy_receivers:
        org = _organisation(copy, "OtherReceiver").replace(
            "<OtherReceiver>\n",
            '<OtherReceiver>\n\t\t\t<RoleReceiver V="COP" DN="Kopimottaker"/>\n',
            1,
        )
        head.append(org)
    if env.patient is not None:
        head.append(_patient(env.patient))
    issued = ts(issue_date or env.gen_date)
    head += [
        "\t</MsgInfo>\n\t<Document>\n\t\t<RefDoc>\n",
        f'\t\t\t<IssueDate V="{issued}"/>\n',
        '\t\t\t<MsgType V="XML" DN="XML-instans"/>\n\t\t\t<Content>\n',
        content,
        "\t\t\t</Content>\n\t\t</RefDoc>\n\t</Document>\n</MsgHead>\n",
    ]
    return "".join(head)
