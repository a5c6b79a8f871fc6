"""Builders of real-looking message bytes for every scenario samflyt handles.

Each builder takes an :class:`Envelope` (ids, time, sender, receiver, patient, conversation,
copy receivers, test flag), a seeded ``random.Random`` for the clinical content, and options
(``action`` N/M/C with a document id, ``target_size`` in bytes). Output is UTF-8 XML bytes.
"""

from __future__ import annotations

import random
import uuid

from streams.registries.records import PartyKind
from streams.synthetic.messages._xml import MSGHEAD_NS, Addressee, Envelope
from streams.synthetic.messages.dialog import (
    citizen_message,
    dialog_answer,
    dialog_question,
    discharge_feedback,
)
from streams.synthetic.messages.documents import (
    EPIKRISE_NS,
    HENVISNING_NS,
    SVAR_NS,
    epikrise,
    henvisning,
    svarrapport,
)
from streams.synthetic.messages.events import (
    EVENT_NS,
    alarm,
    critical_info,
    medication_change,
    sick_note,
    visit,
)
from streams.synthetic.messages.plo import (
    helseopplysninger_lege,
    innleggelsesrapport,
    medisinske_opplysninger,
    utskrivningsklar,
    utskrivningsrapport,
)
from streams.synthetic.world import SyntheticWorld

__all__ = [
    "EPIKRISE_NS",
    "EVENT_NS",
    "HENVISNING_NS",
    "MSGHEAD_NS",
    "SVAR_NS",
    "Addressee",
    "Envelope",
    "addressee",
    "alarm",
    "citizen_message",
    "critical_info",
    "dialog_answer",
    "dialog_question",
    "discharge_feedback",
    "epikrise",
    "helseopplysninger_lege",
    "henvisning",
    "innleggelsesrapport",
    "medication_change",
    "medisinske_opplysninger",
    "new_uuid",
    "sick_note",
    "svarrapport",
    "utskrivningsklar",
    "utskrivningsrapport",
    "visit",
]


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic per seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def addressee(world: SyntheticWorld, her_id: str) -> Addressee:
    """How the party ``her_id`` is addressed in a message.

    A service or department appears as its organisation with the unit nested; a GP as the GP
    office with the GP as HealthcareProfessional; a top-level organisation on its own. An unknown
    HER-id (for dead-letter scenarios) becomes an organisation with a made-up name.
    """
    if not world.has_party(her_id):
        return Addressee("Ukjent mottaker", her_id)
    p = world.party(her_id)
    if p.parent_her_id is None:
        return Addressee(p.name, p.her_id)
    parent = world.party(p.parent_her_id)
    if p.kind is PartyKind.GP:
        given, _, family = p.name.partition(" ")
        return Addressee(
            parent.name,
            parent.her_id,
            person_given=given,
            person_family=family,
            person_her=p.her_id,
            person_hpr=p.hpr,
        )
    return Addressee(parent.name, parent.her_id, unit_name=p.name, unit_her=p.her_id)
