"""The traffic generator's engine: builds one message plus its oracle, keeping traffic state.

State the oracle needs that the static world does not hold: care relationships started by
admissions and ended by discharges, the recipients of each document (for change/cancel), and the
clock. Everything is drawn from one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from streams.registries.records import PartyKind
from streams.synthetic import messages as m
from streams.synthetic.expected import DEAD_LETTER_CODES, Expected, expected_recipients
from streams.synthetic.ids import invalid_national_id
from streams.synthetic.world import SyntheticPatient, SyntheticWorld

__all__ = ["Emitter", "TrafficItem"]


class TrafficItem(NamedTuple):
    """One generated input: which scenario it belongs to, its bytes, and what must happen."""

    scenario: str
    data: bytes
    expected: Expected


Builder = Callable[[m.Envelope, random.Random], bytes]


class Emitter:
    def __init__(
        self,
        world: SyntheticWorld,
        seed: int,
        target_size: int | None = None,
        starts_at: datetime | None = None,
    ) -> None:
        """``starts_at`` is the clock's start (Norwegian local time, as a message's GenDate);
        by default 07:30 on the world's day."""
        self.world = world
        self.rng = random.Random(f"samflyt-traffic-{seed}")
        self.started_at = starts_at or datetime.combine(world.as_of, time(7, 30))
        self.now = self.started_at
        self.target_size = target_size
        self.admitted: dict[str, list[str]] = {}  # patient → hospital departments
        self.discharged: dict[str, list[str]] = {}
        self.documents: dict[str, Expected] = {}

    def tick(self) -> datetime:
        self.now += timedelta(seconds=self.rng.randint(1, 90))
        return self.now

    def uuid(self) -> str:
        return m.new_uuid(self.rng)

    # -- picking parties -------------------------------------------------------------------
    def unit(self, knr: str, kind: PartyKind) -> str:
        return self.rng.choice(self.world.units(knr, kind)).her_id

    def department(self, patient: SyntheticPatient, name: str) -> str:
        from streams.synthetic._hospitals import DEPARTMENTS, trust_index_for

        t = trust_index_for(patient.municipality_code)
        index = next(i for i, (n, _) in enumerate(DEPARTMENTS, start=1) if n == name)
        return str(100_000 + t * 1000 + index)

    def gp(self, patient: SyntheticPatient) -> str:
        gp = self.world.gp_of(patient.national_id)
        if gp is None:  # pragma: no cover - every synthetic patient has a GP
            raise LookupError("patient without GP")
        return gp.her_id

    def home_care(self, patient: SyntheticPatient) -> str:
        for c in self.world.care_relationships_of(patient.national_id):
            if c.kind == "home_care":
                return c.her_id
        return self.unit(patient.municipality_code, PartyKind.HOME_CARE)

    # -- emitting --------------------------------------------------------------------------
    def emit(
        self,
        scenario: str,
        msg_type: str,
        build: Builder,
        *,
        sender: str,
        receiver: str,
        patient: SyntheticPatient | None,
        copies: tuple[str, ...] = (),
        test: bool = False,
        category: str | None = None,
        conversation: str | None = None,
        parent: str | None = None,
        document_id: str | None = None,
        action: str = "N",
        fault: str | None = None,
        msg_id: str | None = None,
        **flags: Any,
    ) -> TrafficItem:
        """Build one message and its :class:`Expected`. ``fault`` is a dead-letter reason
        (:data:`DEAD_LETTER_CODES`) to inject; ``flags`` go into ``Expected`` verbatim."""
        msg_id = msg_id or self.uuid()
        env_patient = patient
        if fault == "invalid_patient_id" and patient is not None:
            env_patient = replace(patient, national_id=invalid_national_id(patient.national_id))
        env = m.Envelope(
            msg_id="FiktivTestdata0001" if fault == "invalid_message_id" else msg_id,
            gen_date=self.tick(), sender=m.addressee(self.world, sender),
            receiver=m.addressee(self.world, receiver), patient=env_patient,
            copy_receivers=tuple(m.addressee(self.world, c) for c in copies),
            parent_id=parent, conversation_id=conversation, test=test,
        )  # fmt: skip
        data = build(env, self.rng)
        nid = None if patient is None else patient.national_id
        if fault is not None:
            if fault == "malformed_xml":
                data = data[: len(data) // 2]
            exp = Expected(
                msg_id=env.msg_id,
                msg_type=msg_type,
                sender_her_id=sender,
                dead_letter=fault,
                apprec="REJECTED",
                apprec_error=DEAD_LETTER_CODES[fault],
                test=test,
            )
            return TrafficItem(scenario, data, exp)
        if action != "N" and document_id in self.documents:
            original = self.documents[document_id]
            exp = Expected(
                msg_id=msg_id,
                msg_type=msg_type,
                sender_her_id=sender,
                recipients=original.recipients,
                test=test,
                document_id=document_id,
                action=action,
            )
            return TrafficItem(scenario, data, exp)
        recipients, refusals = expected_recipients(
            self.world, msg_type=msg_type, sender=sender, receiver=receiver, copies=copies,
            patient=nid, test=test, category=category,
            extra_care=self.admitted.get(nid or "", ()),
            ended_care=self.discharged.get(nid or "", ()),
        )  # fmt: skip
        exp = Expected(
            msg_id=msg_id,
            msg_type=msg_type,
            sender_her_id=sender,
            recipients=recipients,
            refusals=refusals,
            test=test,
            document_id=document_id,
            action=action,
            **flags,
        )
        if document_id is not None:
            self.documents[document_id] = exp
        return TrafficItem(scenario, data, exp)
