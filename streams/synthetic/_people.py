"""Synthetic patients and their registry entries: residence, GP, care relationships, proxies."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from streams.registries.records import (
    CareRelationship,
    CommunicationParty,
    CoreJournalOptOut,
    GpAssignment,
    PartyKind,
    ProxyRight,
    Residence,
)
from streams.synthetic import _names
from streams.synthetic.ids import tenor_national_id
from streams.synthetic.world import Municipality, SyntheticPatient

__all__ = ["People", "make_people"]


@dataclass(frozen=True, slots=True)
class People:
    patients: tuple[SyntheticPatient, ...]
    gp_assignments: tuple[GpAssignment, ...]
    care_relationships: tuple[CareRelationship, ...]
    residences: tuple[Residence, ...]
    proxy_rights: tuple[ProxyRight, ...]
    opt_outs: tuple[CoreJournalOptOut, ...]


def _birth(rng: random.Random, as_of: date) -> date:
    # Older people dominate health messaging: half the patients are 67 or older.
    age = rng.randint(67, 100) if rng.random() < 0.5 else rng.randint(0, 66)
    return date(as_of.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))


def make_people(
    rng: random.Random,
    munis: Sequence[Municipality],
    parties: Sequence[CommunicationParty],
    n: int,
    as_of: date,
) -> People:
    """``n`` patients spread over ``munis`` (big municipalities weigh more), with registries."""
    by: dict[tuple[str | None, PartyKind], list[CommunicationParty]] = {}
    for p in parties:
        by.setdefault((p.municipality_code, p.kind), []).append(p)
    weights = [len(by.get((m.number, PartyKind.GP), ())) for m in munis]
    cum = list(itertools.accumulate(weights))
    taken: set[str] = set()
    patients: list[SyntheticPatient] = []
    gps: list[GpAssignment] = []
    care: list[CareRelationship] = []
    residences: list[Residence] = []
    proxies: list[ProxyRight] = []
    opt_outs: list[CoreJournalOptOut] = []
    for i in range(n):
        m = munis[i] if i < len(munis) else rng.choices(munis, cum_weights=cum)[0]
        female = rng.random() < 0.55
        birth = _birth(rng, as_of)
        nid = tenor_national_id(rng, birth, female, taken)
        age = as_of.year - birth.year
        patients.append(SyntheticPatient(
            national_id=nid,
            given_name=rng.choice(_names.FEMALE if female else _names.MALE),
            family_name=rng.choice(_names.FAMILY), birth_date=birth, sex="2" if female else "1",
            municipality_code=m.number,
            street=f"{rng.choice(_names.STREETS)} {rng.randint(1, 120)}", city=m.name,
            phone=f"{rng.choice('49')}{rng.randint(0, 9_999_999):07d}",
        ))  # fmt: skip
        residences.append(Residence(nid, m.number))
        gp = rng.choice(by[(m.number, PartyKind.GP)])
        gps.append(GpAssignment(nid, gp.her_id, as_of - timedelta(days=rng.randint(30, 7000))))
        since = as_of - timedelta(days=rng.randint(14, 2000))
        # The first patient of every municipality is a home-care patient, so each place has one.
        if i < len(munis) or (age >= 75 and rng.random() < 0.45) or rng.random() < 0.05:
            if age >= 85 and i >= len(munis) and rng.random() < 0.35:
                home = rng.choice(by[(m.number, PartyKind.NURSING_HOME)])
                care.append(
                    CareRelationship(
                        nid, home.her_id, "nursing_home", since, None, "long_term_stay"
                    )
                )
            else:
                unit = rng.choice(by[(m.number, PartyKind.HOME_CARE)])
                meds = i < len(munis) or rng.random() < 0.6
                reason = "medication_administration" if meds else "home_nursing"
                care.append(CareRelationship(nid, unit.her_id, "home_care", since, None, reason))
        if age >= 75 and rng.random() < 0.1:  # a finished short stay: ended, must not count
            home = rng.choice(by[(m.number, PartyKind.NURSING_HOME)])
            care.append(
                CareRelationship(
                    nid,
                    home.her_id,
                    "nursing_home",
                    since - timedelta(days=60),
                    since - timedelta(days=30),
                    "short_term_stay",
                )
            )
        if i < len(munis) or (age >= 80 and rng.random() < 0.4) or (age < 16):
            for _ in range(1 if rng.random() < 0.6 else 2):
                rel_female = rng.random() < 0.5
                rel_birth = (
                    date(birth.year - 30, 6, 1)
                    if age < 16
                    else date(min(birth.year + 28, as_of.year - 20), 3, 1)
                )
                rel_birth += timedelta(days=rng.randint(0, 300))
                proxy = tenor_national_id(rng, rel_birth, rel_female, taken)
                proxies.append(
                    ProxyRight(
                        nid,
                        proxy,
                        "parent" if age < 16 else "child",
                        as_of - timedelta(days=rng.randint(10, 900)),
                    )
                )
        # Every 40th patient, and the second one of the world, opted out of the core journal.
        if i % 40 == 1:
            opt_outs.append(CoreJournalOptOut(nid))
    return People(
        tuple(patients), tuple(gps), tuple(care), tuple(residences), tuple(proxies), tuple(opt_outs)
    )
