"""The test oracle: who should receive a generated message, and why — derived from the world.

This is deliberately independent of the pipeline's routing code: it encodes the rules of
issue 4 directly against the synthetic registries, so integration tests can compare.

Rules (per message type, on top of *addressed* and *copy receiver*, which always apply):

* ``SVAR_LAB``/``SVAR_RTG``: the patient's GP office when it is neither requester nor copy;
  Pasientens prøvesvar; the citizen (patient and active proxies) unless the result category
  (``MsgDescr``) is in :data:`WITHHELD_FROM_CITIZEN`.
* ``EPIKRISE``: the GP office when not addressed; municipal parties with an active care
  relationship; Kjernejournal (hospital contact) unless the patient opted out.
* ``UTSKRIVNINGSRAPPORT``: the GP office; other municipal parties with an active care relationship.
* broadcast events (``SAMFLYT_KJ_*``: the envelope's Receiver equals its Sender and is *not* a
  recipient): critical information → every active care relationship; medication change → the GP
  office and care relationships for medication administration; opted-out patient → nobody.
* ``SAMFLYT_BESOK_*``: only the citizen (patient and proxies) via helsenorge.
* test traffic (``ProcessingStatus D`` / ``Status TEST``): only addressed and copy receivers, on
  the test level; never national services, citizens or production recipients.

GP deliveries go to the GP *office* (the communication party holding the EDI endpoint); the GP's
own HER-id travels inside the message as HealthcareProfessional.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from streams.registries.records import CareLevel, PartyKind
from streams.synthetic.world import SyntheticWorld

__all__ = [
    "BROADCAST_TYPES",
    "DEAD_LETTER_CODES",
    "WITHHELD_FROM_CITIZEN",
    "Expected",
    "ExpectedRecipient",
    "Reason",
    "expected_recipients",
]

WITHHELD_FROM_CITIZEN = frozenset({"HIST", "CYTO"})
BROADCAST_TYPES = frozenset({"SAMFLYT_KJ_KRITISK_INFO", "SAMFLYT_KJ_LEGEMIDDELENDRING"})
CITIZEN_ONLY_TYPES = frozenset({"SAMFLYT_BESOK_PLANLAGT", "SAMFLYT_BESOK_UTFORT"})
DEAD_LETTER_CODES = {  # dead-letter reason → AppRec error code (kodeverk 8221)
    "malformed_xml": "T01",
    "invalid_message_id": "E10",
    "invalid_patient_id": "E31",
    "unknown_receiver": "E21",
    "unsupported_message": "T10",
}


class Reason(StrEnum):
    ADDRESSED = "addressed"
    COPY_RECEIVER = "copy_receiver"
    PATIENTS_GP = "patients_gp"
    CARE_RELATIONSHIP = "care_relationship"
    NATIONAL_SERVICE = "national_service"
    CITIZEN = "citizen"


@dataclass(frozen=True, slots=True)
class ExpectedRecipient:
    """One delivery: to ``her_id`` on ``level`` (a care level, or ``test``) because of ``reason``.

    Citizen deliveries all go to helsenorge's HER-id; ``person`` is the citizen (the patient or a
    relative with proxy rights) the delivery is for.
    """

    her_id: str
    reason: Reason
    level: str
    person: str | None = None


@dataclass(frozen=True, slots=True)
class Expected:
    """What the pipeline must do with one input.

    Either ``recipients`` (possibly empty, e.g. an opted-out patient's core-journal event, with
    ``refusals`` saying why) or a ``dead_letter`` reason with its AppRec ``apprec_error``.
    ``apprec`` is ``OK``, ``REJECTED`` or None (no AppRec: a duplicate). ``expects_answer`` marks
    requests the overdue watch tracks; ``answers`` the conversation an answer closes; ``overdue``
    that no answer will come in this traffic, so an overdue event must be raised.
    """

    msg_id: str
    msg_type: str
    sender_her_id: str
    recipients: tuple[ExpectedRecipient, ...] = ()
    dead_letter: str | None = None
    apprec: str | None = "OK"
    apprec_error: str | None = None
    test: bool = False
    priority: str = "normal"
    duplicate_of: str | None = None
    document_id: str | None = None
    action: str = "N"
    expects_answer: bool = False
    answers: str | None = None
    overdue: bool = False
    refusals: tuple[tuple[str, str], ...] = ()
    care_relationship_started: str | None = None
    care_relationship_ended: str | None = None

    @property
    def recipient_ids(self) -> frozenset[str]:
        return frozenset(r.her_id for r in self.recipients)


def _add(out: dict[tuple[str, str | None], ExpectedRecipient], r: ExpectedRecipient) -> None:
    out.setdefault((r.her_id, r.person), r)  # first (strongest) reason wins


def expected_recipients(
    world: SyntheticWorld,
    *,
    msg_type: str,
    sender: str,
    receiver: str,
    copies: Iterable[str],
    patient: str | None,
    test: bool = False,
    category: str | None = None,
    extra_care: Iterable[str] = (),
    ended_care: Iterable[str] = (),
) -> tuple[tuple[ExpectedRecipient, ...], tuple[tuple[str, str], ...]]:
    """Recipients and refusals for a valid message. ``extra_care`` are care relationships the
    traffic has started (admissions), ``ended_care`` those it has ended (discharges)."""
    out: dict[tuple[str, str | None], ExpectedRecipient] = {}
    refusals: list[tuple[str, str]] = []

    def level(her: str) -> str:
        return "test" if test else world.party(her).care_level.value

    def endpoint(her: str) -> str:  # a GP is reached through the GP office
        party = world.party(her)
        return party.parent_her_id or her if party.kind is PartyKind.GP else her

    if msg_type not in BROADCAST_TYPES and msg_type not in CITIZEN_ONLY_TYPES:
        to = endpoint(receiver)
        _add(out, ExpectedRecipient(to, Reason.ADDRESSED, level(to)))
    for copy in copies:
        to = endpoint(copy)
        _add(out, ExpectedRecipient(to, Reason.COPY_RECEIVER, level(to)))
    if test or patient is None:
        return tuple(out.values()), ()
    ended = set(ended_care)
    care = [c.her_id for c in world.care_relationships_of(patient) if c.her_id not in ended]
    care += [h for h in extra_care if h not in ended and h not in care]
    municipal = [h for h in care if world.party(h).care_level is CareLevel.MUNICIPAL]
    gp_office = world.gp_office_of(patient)
    opted_out = world.opted_out(patient)

    def citizen() -> None:
        portal = world.service("helsenorge").her_id
        _add(out, ExpectedRecipient(portal, Reason.CITIZEN, "citizen", patient))
        for proxy in world.proxies_of(patient):
            _add(out, ExpectedRecipient(portal, Reason.CITIZEN, "citizen", proxy.proxy_national_id))

    if msg_type in ("SVAR_LAB", "SVAR_RTG"):
        if gp_office is not None:
            _add(out, ExpectedRecipient(gp_office.her_id, Reason.PATIENTS_GP, "gp"))
        _add(
            out,
            ExpectedRecipient(
                world.service("provesvar").her_id, Reason.NATIONAL_SERVICE, "national"
            ),
        )
        if category in WITHHELD_FROM_CITIZEN:
            refusals.append((world.service("helsenorge").her_id, "withheld_from_citizen"))
        else:
            citizen()
    elif msg_type in ("EPIKRISE", "UTSKRIVNINGSRAPPORT"):
        if gp_office is not None:
            _add(out, ExpectedRecipient(gp_office.her_id, Reason.PATIENTS_GP, "gp"))
        for h in municipal:
            _add(out, ExpectedRecipient(h, Reason.CARE_RELATIONSHIP, "municipal"))
        if msg_type == "EPIKRISE":
            kj = world.service("kjernejournal").her_id
            if opted_out:
                refusals.append((kj, "core_journal_opt_out"))
            else:
                _add(out, ExpectedRecipient(kj, Reason.NATIONAL_SERVICE, "national"))
    elif msg_type in BROADCAST_TYPES:
        if opted_out:
            return (), (("*", "core_journal_opt_out"),)
        if msg_type == "SAMFLYT_KJ_KRITISK_INFO":
            for h in care:
                _add(out, ExpectedRecipient(h, Reason.CARE_RELATIONSHIP, level(h)))
        else:
            if gp_office is not None:
                _add(out, ExpectedRecipient(gp_office.her_id, Reason.PATIENTS_GP, "gp"))
            for rel in world.care_relationships_of(patient):
                if rel.reason == "medication_administration" and rel.her_id not in ended:
                    _add(out, ExpectedRecipient(rel.her_id, Reason.CARE_RELATIONSHIP, "municipal"))
    elif msg_type in CITIZEN_ONLY_TYPES:
        citizen()
    return tuple(out.values()), tuple(refusals)
