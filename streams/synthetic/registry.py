"""The synthetic address register, GP register, care relationships and patients.

``build_world(seed, scale, n_patients)`` returns one :class:`SyntheticWorld`. HER-ids depend only on
the structure (municipality number, kind, index), not on the seed, so a unit keeps its HER-id
between runs and between scales; the seed decides how many units there are, the names of people
and everything about patients.

HER-id plan: municipality ``K`` owns ``1_000_000 + K*1000 … +999`` (``+0`` the kommune, ``+1``
tildelingskontor, ``+2`` health station, ``+3`` legevakt, ``+4`` KAD, ``+5`` psychiatry,
``+10…`` home care, ``+30…`` nursing homes, ``+100+20i`` GP office ``i`` and ``+1…+19`` its GPs);
health trust ``t`` owns ``100_000 + t*1000 …`` (departments ``+1…``); national services ``90_00x``;
the test service ``90_999``.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from streams.registries.records import CareLevel, CommunicationParty, NationalService, PartyKind
from streams.synthetic import _names
from streams.synthetic._catalog import ACCEPTS_BY_KIND
from streams.synthetic._hospitals import DEPARTMENTS, TRUSTS, trust_index_for
from streams.synthetic._people import make_people
from streams.synthetic.ids import org_no_for
from streams.synthetic.world import Municipality, SyntheticWorld

__all__ = ["AS_OF", "SCALES", "build_world", "load_municipalities", "synthetic_her_ids"]

AS_OF = date(2024, 6, 3)
SMALL = ("0301", "4601", "5001", "3428", "5501")  # Oslo, Bergen, Trondheim, Alvdal, Tromsø
SCALES: MappingProxyType[str, int] = MappingProxyType(
    {"small": 200, "region": 5_000, "national": 100_000}
)
_BIG = frozenset({
    "0301", "4601", "5001", "1103", "3201", "4204", "3301", "3203", "3205", "3107", "1108",
    "5501", "3105", "4003", "1508", "1804", "3909", "3905", "3907", "3207",
})  # fmt: skip

_NATIONAL: tuple[tuple[str, str, str, str, frozenset[str]], ...] = (
    # (HER, name, kind, topic suffix, entitled types)
    ("90001", "Kjernejournal", "national_service", "kjernejournal",
     frozenset({"EPIKRISE"})),
    ("90002", "Pasientens prøvesvar", "national_service", "provesvar",
     frozenset({"SVAR_LAB", "SVAR_RTG"})),
    ("90003", "helsenorge.no", "citizen_portal", "helsenorge",
     frozenset({"SVAR_LAB", "SVAR_RTG", "SAMFLYT_BESOK_PLANLAGT", "SAMFLYT_BESOK_UTFORT"})),
    ("90004", "Reseptformidleren / pasientens legemiddelliste", "national_service", "eresept",
     frozenset()),
    ("90005", "NAV", "national_service", "nav", frozenset({"SYKMELDING"})),
)  # fmt: skip
TEST_HER = "90999"
# how many units of each kind a municipality gets at most (big ones / the others draw fewer);
# :func:`synthetic_her_ids` spans them, so it holds every world's HER-ids whatever the seed
_HOME_CARE_ZONES = {True: (4, 8), False: (1, 2)}
_NURSING_HOMES = {True: (4, 10), False: (1, 2)}
_GP_OFFICES = {True: (10, 40), False: (1, 3)}
_GPS_PER_OFFICE = (2, 6)
_MUNICIPAL_UNITS = 6  # the kommune itself and +1 … +5


@cache
def load_municipalities() -> tuple[Municipality, ...]:
    """The 357 municipalities of 2024 from the bundled ``kommuner.yaml``."""
    text = resources.files("streams.synthetic").joinpath("kommuner.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return tuple(
        Municipality(str(m["number"]), str(m["name"]), str(m["number"])[:2], m.get("sami_name"))
        for m in data["municipalities"]
    )


def _party(
    her: int,
    name: str,
    kind: PartyKind,
    level: CareLevel,
    knr: str | None,
    parent: int | None,
    *,
    hpr: str | None = None,
    accepts: MappingProxyType[str, tuple[str, ...]] | None = None,
) -> CommunicationParty:
    person = kind is PartyKind.GP
    return CommunicationParty(
        her_id=str(her), name=name, kind=kind, care_level=level, municipality_code=knr,
        parent_her_id=None if parent is None else str(parent),
        org_no=None if person else org_no_for(her), hpr=hpr,
        accepts=ACCEPTS_BY_KIND[kind] if accepts is None else accepts,
    )  # fmt: skip


def _municipal_parties(rng: random.Random, m: Municipality) -> list[CommunicationParty]:
    base = 1_000_000 + int(m.number) * 1000
    big = m.number in _BIG
    mun, lvl = PartyKind, CareLevel.MUNICIPAL
    out = [
        _party(base, f"{m.name} kommune", mun.MUNICIPALITY, lvl, m.number, None),
        _party(base + 1, "Tildelingskontoret helse og omsorg", mun.CARE_ALLOCATION, lvl,
               m.number, base),
        _party(base + 2, f"{m.name} helsestasjon", mun.HEALTH_STATION, lvl, m.number, base),
        _party(base + 3, f"{m.name} legevakt", mun.EMERGENCY_PRIMARY_CARE, lvl, m.number, base),
        _party(base + 4, "Kommunale akutte døgnplasser (KAD)", mun.MUNICIPAL_ACUTE_BEDS, lvl,
               m.number, base),
        _party(base + 5, "Psykisk helse og rus", mun.PSYCHIATRY, lvl, m.number, base),
    ]  # fmt: skip
    zones = rng.sample(_names.ZONES, rng.randint(*_HOME_CARE_ZONES[big]))
    for i, zone in enumerate(zones):
        out.append(
            _party(
                base + 10 + i, f"Hjemmesykepleien sone {zone}", mun.HOME_CARE, lvl, m.number, base
            )
        )
    homes = rng.sample(_names.NURSING_HOMES, rng.randint(*_NURSING_HOMES[big]))
    for i, home in enumerate(homes):
        out.append(_party(base + 30 + i, f"{home} sykehjem", mun.NURSING_HOME, lvl, m.number, base))
    n_offices = rng.randint(*_GP_OFFICES[big])
    prefixes = list(_names.OFFICE_PREFIXES)
    for i in range(n_offices):
        office = base + 100 + 20 * i
        name = (
            f"{m.name} legesenter"
            if i == 0
            else f"{prefixes[i % len(prefixes)]} legekontor {m.name}"
            + ("" if i < len(prefixes) else f" {i // len(prefixes) + 1}")
        )
        out.append(_party(office, name, mun.GP_OFFICE, CareLevel.GP, m.number, None))
        for j in range(1, rng.randint(*_GPS_PER_OFFICE) + 1):
            female = rng.random() < 0.5
            given = rng.choice(_names.FEMALE if female else _names.MALE)
            gp_name = f"{given} {rng.choice(_names.FAMILY)}"
            out.append(
                _party(
                    office + j,
                    gp_name,
                    mun.GP,
                    CareLevel.GP,
                    m.number,
                    office,
                    hpr=str(3_000_000 + office + j - 1_000_000),
                )
            )
    return out


def _hospital_parties(trust_ids: list[int]) -> list[CommunicationParty]:
    out: list[CommunicationParty] = []
    kinds = {
        "dept": PartyKind.HOSPITAL_DEPARTMENT,
        "plo": PartyKind.HOSPITAL_DEPARTMENT,
        "lab": PartyKind.LAB,
        "radiology": PartyKind.RADIOLOGY,
    }
    for t in trust_ids:
        base = 100_000 + t * 1000
        out.append(_party(base, TRUSTS[t][0], PartyKind.HOSPITAL, CareLevel.SPECIALIST, None, None))
        for d, (name, kind) in enumerate(DEPARTMENTS, start=1):
            out.append(_party(base + d, name, kinds[kind], CareLevel.SPECIALIST, None, base))
    return out


def _national_parties() -> tuple[list[CommunicationParty], list[NationalService]]:
    parties, services = [], []
    for her, name, kind, suffix, types in _NATIONAL:
        k = PartyKind(kind)
        level = CareLevel.CITIZEN if k is PartyKind.CITIZEN_PORTAL else CareLevel.NATIONAL
        accepts = MappingProxyType(
            {t: ("1.0", "1.1", "1.2", "1.3", "1.4", "2013-10-01") for t in sorted(types)}
        )
        parties.append(_party(int(her), name, k, level, None, None, accepts=accepts))
        services.append(NationalService(her, name, suffix, types))
    parties.append(
        _party(int(TEST_HER), "***Testtjeneste***", PartyKind.TEST, CareLevel.NATIONAL, None, None)
    )
    return parties, services


def build_world(
    seed: int = 1, scale: str = "small", n_patients: int | None = None, as_of: date = AS_OF
) -> SyntheticWorld:
    """A deterministic synthetic world: same arguments → equal world.

    ``scale``: ``small`` (five municipalities, for tests), ``region`` (Trøndelag), ``national``
    (all 357 municipalities). ``n_patients`` defaults to :data:`SCALES` of the scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    rng = random.Random(f"samflyt-world-{seed}-{scale}")
    all_m = load_municipalities()
    if scale == "small":
        munis = tuple(m for m in all_m if m.number in SMALL)
    elif scale == "region":
        munis = tuple(m for m in all_m if m.county == "50")
    else:
        munis = all_m
    parties: list[CommunicationParty] = []
    for m in munis:
        parties.extend(_municipal_parties(rng, m))
    parties.extend(_hospital_parties(sorted({trust_index_for(m.number) for m in munis})))
    national, services = _national_parties()
    parties.extend(national)
    people = make_people(rng, munis, parties, n_patients or SCALES[scale], as_of)
    return SyntheticWorld(
        seed=seed, scale=scale, as_of=as_of, municipalities=munis, parties=tuple(parties),
        national_services=tuple(services), patients=people.patients,
        gp_assignments=people.gp_assignments, care_relationships=people.care_relationships,
        residences=people.residences, proxy_rights=people.proxy_rights,
        core_journal_opt_outs=people.opt_outs, test_party_her_id=TEST_HER,
    )  # fmt: skip


@cache
def synthetic_her_ids() -> frozenset[str]:
    """Every HER-id the plan above can give a party, in a world of any seed and scale: the
    parties of every synthetic world are among them (computed once, without building one)."""
    out: set[int] = set()
    for m in load_municipalities():
        base = 1_000_000 + int(m.number) * 1000
        out.update(base + i for i in range(_MUNICIPAL_UNITS))
        out.update(base + 10 + i for i in range(_HOME_CARE_ZONES[True][1]))
        out.update(base + 30 + i for i in range(_NURSING_HOMES[True][1]))
        for i in range(_GP_OFFICES[True][1]):
            office = base + 100 + 20 * i
            out.update(office + j for j in range(_GPS_PER_OFFICE[1] + 1))
    for t in range(len(TRUSTS)):
        base = 100_000 + t * 1000
        out.update(base + d for d in range(len(DEPARTMENTS) + 1))
    out.update(int(her) for her, *_ in _NATIONAL)
    out.add(int(TEST_HER))
    return frozenset(str(her) for her in out)
