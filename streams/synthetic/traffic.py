"""Deterministic synthetic traffic: the 15 scripted scenarios of issue 4 and a realistic mix.

``scenario_traffic(world, seed)`` yields every scenario in order (each a short scripted
sequence); ``traffic(world, seed, count)`` yields a weighted mix for benchmarks and soak tests.
Both yield :class:`TrafficItem` ``(scenario, data, expected)``; ``expected`` is the oracle.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from functools import partial

from streams.registries.records import PartyKind
from streams.synthetic import messages as m
from streams.synthetic._emit import Emitter, TrafficItem
from streams.synthetic.world import SyntheticPatient, SyntheticWorld

__all__ = ["SCENARIOS", "TrafficItem", "scenario_traffic", "traffic"]

Scenario = Callable[[Emitter, SyntheticPatient], list[TrafficItem]]


def _s1_question_answer(
    e: Emitter, p: SyntheticPatient, version: str = "1.1", quoting: bool = False
) -> list[TrafficItem]:
    """A question and its answer; with ``quoting`` (1.0) the answer has no ConversationRef and
    names the question by the ``DokIdForesp`` it quotes (the question's message id here)."""
    hc, gp = e.home_care(p), e.gp(p)
    mtype_q, mtype_a = (
        ("DIALOG_HELSEFAGLIG",) * 2 if version == "1.1" else ("DIALOG_FORESPORSEL", "DIALOG_SVAR")
    )
    scenario = "16-question-answer-quoted" if quoting else "1-question-answer"
    q = e.emit(
        scenario,
        mtype_q,
        partial(m.dialog_question, version=version, target_size=e.target_size),
        sender=hc,
        receiver=gp,
        patient=p,
        expects_answer=True,
    )
    quotes = q.expected.msg_id if quoting else None
    a = e.emit(
        scenario,
        mtype_a,
        partial(m.dialog_answer, version=version, target_size=e.target_size, quotes=quotes),
        sender=gp,
        receiver=hc,
        patient=p,
        conversation=None if quoting else q.expected.msg_id,
        parent=None if quoting else q.expected.msg_id,
        answers=q.expected.msg_id,
    )
    return [q, a]


def _s2_admission(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    dept = e.department(p, "PLO innleggelse somatikk")
    item = e.emit(
        "2-admission",
        "INNLEGGELSESRAPPORT",
        partial(m.innleggelsesrapport, target_size=e.target_size),
        sender=e.home_care(p),
        receiver=dept,
        patient=p,
        care_relationship_started=dept,
    )
    e.admitted.setdefault(p.national_id, []).append(dept)
    return [item]


def _ready(e: Emitter, p: SyntheticPatient, scenario: str, answered: bool) -> list[TrafficItem]:
    dept = e.department(p, "Medisinsk klinikk")
    office = e.world.units(p.municipality_code, PartyKind.CARE_ALLOCATION)[0].her_id
    log = e.emit(
        scenario,
        "LOG_UTSKRIVNINGSKLAR",
        m.utskrivningsklar,
        sender=dept,
        receiver=office,
        patient=p,
        expects_answer=True,
        overdue=not answered,
    )
    if not answered:
        return [log]
    ack = e.emit(
        scenario,
        "DIALOG_HELSEFAGLIG",
        m.discharge_feedback,
        sender=office,
        receiver=dept,
        patient=p,
        conversation=log.expected.msg_id,
        parent=log.expected.msg_id,
        answers=log.expected.msg_id,
    )
    return [log, ack]


def _s4_discharge(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    items = _s2_admission(e, p) + _ready(e, p, "4-discharge", True)
    dept = e.department(p, "Medisinsk klinikk")
    hc, gp = e.home_care(p), e.gp(p)
    items.append(
        e.emit(
            "4-discharge",
            "UTSKRIVNINGSRAPPORT",
            partial(m.utskrivningsrapport, target_size=e.target_size),
            sender=dept,
            receiver=hc,
            patient=p,
        )
    )
    doc = e.uuid()
    admitted = e.admitted.get(p.national_id, [])
    items.append(
        e.emit(
            "4-discharge",
            "EPIKRISE",
            partial(m.epikrise, document_id=doc, target_size=e.target_size),
            sender=dept,
            receiver=gp,
            patient=p,
            document_id=doc,
            care_relationship_ended=admitted[-1] if admitted else None,
        )
    )
    e.discharged.setdefault(p.national_id, []).extend(admitted)
    return items


def _result(
    e: Emitter,
    p: SyntheticPatient,
    scenario: str,
    radiology: bool,
    category: str | None = None,
    copy: bool = True,
) -> TrafficItem:
    lab = e.department(p, "Bildediagnostikk" if radiology else "Medisinsk biokjemi")
    copies = (e.home_care(p),) if copy else ()
    doc = e.uuid()
    return e.emit(
        scenario,
        "SVAR_RTG" if radiology else "SVAR_LAB",
        partial(
            m.svarrapport,
            document_id=doc,
            requisition_id=e.uuid(),
            radiology=radiology,
            category=category,
            observations=e.rng.randint(6, 30),
            target_size=e.target_size,
        ),
        sender=lab,
        receiver=e.gp(p),
        copies=copies,
        patient=p,
        category=category,
        document_id=doc,
    )


def _s7_critical(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    kj = e.world.service("kjernejournal").her_id
    items = [
        e.emit(
            "7-core-journal-critical",
            "SAMFLYT_KJ_KRITISK_INFO",
            partial(m.critical_info, event_id=e.uuid(), target_size=e.target_size),
            sender=kj,
            receiver=kj,
            patient=p,
        )
    ]
    opted = next(x for x in e.world.patients if e.world.opted_out(x.national_id))
    items.append(
        e.emit(
            "7-core-journal-opted-out",
            "SAMFLYT_KJ_KRITISK_INFO",
            partial(m.critical_info, event_id=e.uuid()),
            sender=kj,
            receiver=kj,
            patient=opted,
        )
    )
    return items


def _s8_medication(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    pll = e.world.service("eresept").her_id
    return [
        e.emit(
            "8-medication-change",
            "SAMFLYT_KJ_LEGEMIDDELENDRING",
            partial(m.medication_change, event_id=e.uuid(), target_size=e.target_size),
            sender=pll,
            receiver=pll,
            patient=p,
        )
    ]


def _s9_referral(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    doc = e.uuid()
    return [
        e.emit(
            "9-referral",
            "HENVISNING_NYTILSTAND",
            partial(m.henvisning, document_id=doc, target_size=e.target_size),
            sender=e.gp(p),
            receiver=e.department(p, "Ortopedisk avdeling"),
            patient=p,
            document_id=doc,
        )
    ]


def _s10_sick_note(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    return [
        e.emit(
            "10-sick-note",
            "SYKMELDING",
            m.sick_note,
            sender=e.gp(p),
            receiver=e.world.service("nav").her_id,
            patient=p,
        )
    ]


def _s11_citizen(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    hc, portal = e.home_care(p), e.world.service("helsenorge").her_id
    out = [
        e.emit(
            "11-home-care-visit",
            f"SAMFLYT_BESOK_{kind}",
            partial(m.visit, event_id=e.uuid(), completed=kind == "UTFORT"),
            sender=hc,
            receiver=portal,
            patient=p,
        )
        for kind in ("PLANLAGT", "UTFORT")
    ]
    out.append(
        e.emit(
            "11-citizen-message",
            "DIALOG_INNBYGGER_EKONTAKT",
            m.citizen_message,
            sender=portal,
            receiver=hc,
            patient=p,
        )
    )
    return out


def _s12_alarm(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    kommune = e.world.units(p.municipality_code, PartyKind.MUNICIPALITY)[0].her_id
    return [
        e.emit(
            "12-welfare-alarm",
            "SAMFLYT_ALARM",
            partial(m.alarm, event_id=e.uuid()),
            sender=kommune,
            receiver=e.home_care(p),
            patient=p,
            priority="high",
        )
    ]


def _s13_dead_letters(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    hc, gp = e.home_care(p), e.gp(p)
    q = partial(m.dialog_question, version="1.1")
    items = [
        e.emit(
            "13-dead-letter",
            "DIALOG_HELSEFAGLIG",
            q,
            sender=hc,
            receiver=gp,
            patient=p,
            fault=fault,
        )
        for fault in ("malformed_xml", "invalid_message_id", "invalid_patient_id")
    ]
    items.append(
        e.emit(
            "13-dead-letter",
            "DIALOG_HELSEFAGLIG",
            q,
            sender=hc,
            receiver="999999",
            patient=p,
            fault="unknown_receiver",
        )
    )
    office = e.world.party(gp).parent_her_id or gp  # a GP office takes no admission reports
    items.append(
        e.emit(
            "13-dead-letter",
            "INNLEGGELSESRAPPORT",
            m.innleggelsesrapport,
            sender=hc,
            receiver=office,
            patient=p,
            fault="unsupported_message",
        )
    )
    original = e.emit(
        "13-duplicate",
        "DIALOG_HELSEFAGLIG",
        q,
        sender=hc,
        receiver=gp,
        patient=p,
        expects_answer=True,
    )
    dup = replace(
        original.expected,
        recipients=(),
        apprec=None,
        expects_answer=False,
        duplicate_of=original.expected.msg_id,
    )
    items += [original, TrafficItem("13-duplicate", original.data, dup)]
    return items


def _s14_change_cancel(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    first = _result(e, p, "14-change-cancel", radiology=False)
    doc = first.expected.document_id or ""
    lab, gp = first.expected.sender_her_id, e.gp(p)
    copies = (e.home_care(p),)
    out = [first]
    for action in ("M", "C"):
        out.append(
            e.emit(
                "14-change-cancel",
                "SVAR_LAB",
                partial(m.svarrapport, document_id=doc, requisition_id=e.uuid(), action=action),
                sender=lab,
                receiver=gp,
                copies=copies,
                patient=p,
                document_id=doc,
                action=action,
            )
        )
    return out


def _s15_test(e: Emitter, p: SyntheticPatient) -> list[TrafficItem]:
    lab = e.department(p, "Medisinsk biokjemi")
    return [
        e.emit(
            "15-test-traffic",
            "SVAR_LAB",
            partial(m.svarrapport, document_id=e.uuid(), requisition_id=e.uuid()),
            sender=lab,
            receiver=e.gp(p),
            patient=p,
            test=True,
        ),
        e.emit(
            "15-test-traffic",
            "DIALOG_HELSEFAGLIG",
            m.dialog_question,
            sender=e.home_care(p),
            receiver=e.world.test_party_her_id,
            patient=p,
            test=True,
        ),
    ]


SCENARIOS: dict[str, Scenario] = {
    "1-question-answer": _s1_question_answer,
    "2-admission": _s2_admission,
    "3-ready-for-discharge": lambda e, p: _ready(e, p, "3-ready-for-discharge", False),
    "4-discharge": _s4_discharge,
    "5-lab-result": lambda e, p: [
        _result(e, p, "5-lab-result", False),
        _result(e, p, "5-lab-result", False, "HIST", copy=False),
    ],
    "6-radiology-result": lambda e, p: [_result(e, p, "6-radiology-result", True)],
    "7-core-journal-critical": _s7_critical,
    "8-medication-change": _s8_medication,
    "9-referral": _s9_referral,
    "10-sick-note": _s10_sick_note,
    "11-citizen": _s11_citizen,
    "12-welfare-alarm": _s12_alarm,
    "13-dead-letter": _s13_dead_letters,
    "14-change-cancel": _s14_change_cancel,
    "15-test-traffic": _s15_test,
    "16-question-answer-quoted": lambda e, p: _s1_question_answer(e, p, "1.0", quoting=True),
}


def _home_care_patients(world: SyntheticWorld) -> list[SyntheticPatient]:
    out = []
    for p in world.patients:
        rels = world.care_relationships_of(p.national_id)
        if (
            not world.opted_out(p.national_id)
            and world.proxies_of(p.national_id)
            and any(c.reason == "medication_administration" for c in rels)
        ):
            out.append(p)
    return out


def scenario_traffic(
    world: SyntheticWorld,
    seed: int = 1,
    target_size: int | None = None,
    ends_at: datetime | None = None,
) -> Iterator[TrafficItem]:
    """Every scenario of issue 4, in order, for home-care patients with proxies (so every
    rule has someone to reach). Deterministic per (world, seed).

    ``ends_at`` (Norwegian local time) dates the traffic so its last message was written then,
    as traffic sent now is: by default it is dated on the world's day, and a time to receipt
    measured from its GenDate would be the years since."""
    starts_at = None
    if ends_at is not None:
        probe = Emitter(world, seed, target_size)
        _scenarios(probe, world)
        starts_at = ends_at - (probe.now - probe.started_at)
    yield from _scenarios(Emitter(world, seed, target_size, starts_at), world)


def _scenarios(e: Emitter, world: SyntheticWorld) -> list[TrafficItem]:
    patients = _home_care_patients(world)
    items: list[TrafficItem] = []
    for i, scenario in enumerate(SCENARIOS.values()):
        items += scenario(e, patients[i % len(patients)])
    return items


# (weight, scenario) — a realistic day: results dominate, then PLO and dialogue.
_MIX: tuple[tuple[int, Scenario], ...] = (
    (30, lambda e, p: [_result(e, p, "mix-lab", False, copy=e.rng.random() < 0.3)]),
    (6, lambda e, p: [_result(e, p, "mix-radiology", True, copy=False)]),
    (12, _s1_question_answer),
    (2, lambda e, p: _s1_question_answer(e, p, "1.0")),
    (2, lambda e, p: _s1_question_answer(e, p, "1.0", quoting=True)),
    (6, _s2_admission),
    (4, lambda e, p: _ready(e, p, "mix-ready-for-discharge", e.rng.random() < 0.9)),
    (5, _s4_discharge),
    (8, _s9_referral),
    (5, _s10_sick_note),
    (6, _s7_critical),
    (5, _s8_medication),
    (6, _s11_citizen),
    (2, _s12_alarm),
)


def traffic(
    world: SyntheticWorld, seed: int = 1, count: int = 1000, target_size: int | None = None
) -> Iterator[TrafficItem]:
    """``count`` inputs of a weighted realistic mix (scripted sequences are kept whole, so the
    last one may overrun ``count`` by a few). Deterministic per (world, seed, target_size)."""
    e = Emitter(world, seed, target_size)
    pick = random.Random(f"samflyt-mix-{seed}")
    patients = world.patients
    weights = [w for w, _ in _MIX]
    n = 0
    while n < count:
        scenario = pick.choices([s for _, s in _MIX], weights)[0]
        for item in scenario(e, patients[pick.randrange(len(patients))]):
            yield item
            n += 1
