"""The synthetic world: deterministic, valid identifiers, unique HER-ids, every municipality."""

from __future__ import annotations

from datetime import date

import pytest

from streams.registries import load
from streams.registries.records import CareLevel, PartyKind
from streams.synthetic import build_world, load_municipalities


def fnr_is_valid(value: str) -> bool:
    """Independent check-digit test (HIS 1001 §4.1), written separately from the generator."""
    if len(value) != 11 or not value.isdigit():
        return False
    d = [int(c) for c in value]
    k1 = 11 - sum(a * b for a, b in zip(d[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    k2 = 11 - sum(a * b for a, b in zip(d[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    return k1 == d[9] and k2 == d[10]


def org_no_is_valid(value: str) -> bool:
    d = [int(c) for c in value]
    r = 11 - sum(a * b for a, b in zip(d[:8], (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    return len(value) == 9 and (0 if r == 11 else r) == d[8]


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return build_world(7, "small")


def test_same_seed_same_world(world) -> None:  # type: ignore[no-untyped-def]
    assert build_world(7, "small") == world
    assert build_world(8, "small").patients != world.patients


def test_every_municipality_of_2024() -> None:
    munis = load_municipalities()
    assert len(munis) == 357
    assert len({m.number for m in munis}) == 357
    names = {m.number: m.name for m in munis}
    assert names["0301"] == "Oslo" and names["1580"] == "Haram" and names["3207"] == "Nordre Follo"
    assert {m.county for m in munis} == {
        "03",
        "11",
        "15",
        "18",
        "31",
        "32",
        "33",
        "34",
        "39",
        "40",
        "42",
        "46",
        "50",
        "55",
        "56",
    }


@pytest.mark.slow
def test_national_world_has_every_municipality_with_services() -> None:
    w = build_world(1, "national", n_patients=2000)
    assert len(w.municipalities) == 357
    for m in w.municipalities:
        for kind in (
            PartyKind.HOME_CARE,
            PartyKind.NURSING_HOME,
            PartyKind.HEALTH_STATION,
            PartyKind.EMERGENCY_PRIMARY_CARE,
            PartyKind.MUNICIPAL_ACUTE_BEDS,
            PartyKind.GP_OFFICE,
            PartyKind.GP,
        ):
            assert w.units(m.number, kind), (m.number, kind)
    assert len({p.her_id for p in w.parties}) == len(w.parties)


def test_national_ids_valid_tenor_and_unique(world) -> None:  # type: ignore[no-untyped-def]
    ids = [p.national_id for p in world.patients]
    ids += [r.proxy_national_id for r in world.proxy_rights]
    assert len(ids) == len(set(ids))
    for nid in ids:
        assert fnr_is_valid(nid), nid
        assert 81 <= int(nid[2:4]) <= 92, nid  # Tenor: month + 80
    for p in world.patients:
        assert int(p.national_id[8]) % 2 == (0 if p.sex == "2" else 1)
        assert p.national_id[:2] == f"{p.birth_date.day:02d}"


def test_her_ids_unique_and_parents_exist(world) -> None:  # type: ignore[no-untyped-def]
    hers = [p.her_id for p in world.parties]
    assert len(hers) == len(set(hers))
    for p in world.parties:
        if p.parent_her_id is not None:
            assert world.has_party(p.parent_her_id)
        if p.org_no is not None:
            assert org_no_is_valid(p.org_no), p


def test_her_ids_stable_across_seeds_and_scales() -> None:
    a, b = build_world(1, "small"), build_world(2, "region")
    oslo_a = a.units("0301", PartyKind.MUNICIPALITY)[0]
    assert oslo_a.her_id == "1301000"
    trondheim = b.units("5001", PartyKind.CARE_ALLOCATION)[0]
    assert trondheim.her_id == a.units("5001", PartyKind.CARE_ALLOCATION)[0].her_id


def test_registries_are_consistent(world) -> None:  # type: ignore[no-untyped-def]
    for p in world.patients:
        gp = world.gp_of(p.national_id)
        assert gp is not None and gp.kind is PartyKind.GP
        assert gp.municipality_code == p.municipality_code
    assert world.core_journal_opt_outs
    assert any(world.proxies_of(p.national_id) for p in world.patients)
    for s in ("kjernejournal", "provesvar", "helsenorge", "eresept", "nav"):
        assert world.party(world.service(s).her_id).care_level in (
            CareLevel.NATIONAL,
            CareLevel.CITIZEN,
        )
    assert world.party(world.test_party_her_id).kind is PartyKind.TEST


def test_rows_round_trip(world) -> None:  # type: ignore[no-untyped-def]
    for p in world.parties[:50]:
        assert load.party_from_row(load.party_to_row(p)) == p
    for c in world.care_relationships:
        assert load.care_relationship_from_row(load.care_relationship_to_row(c)) == c
    for r in world.proxy_rights:
        assert load.proxy_right_from_row(load.proxy_right_to_row(r)) == r
    for a in world.gp_assignments:
        assert load.gp_assignment_from_row(load.gp_assignment_to_row(a)) == a
    for s in world.national_services:
        assert load.national_service_from_row(load.national_service_to_row(s)) == s
    for o in world.core_journal_opt_outs:
        assert load.opt_out_from_row(load.opt_out_to_row(o)) == o
    for res in world.residences:
        assert load.residence_from_row(load.residence_to_row(res)) == res
    row = (*load.care_relationship_to_row(world.care_relationships[0])[:3], "2024-01-02", None, "")
    assert load.care_relationship_from_row(row).started_at == date(2024, 1, 2)
