"""PostgreSQL I/O of the registries (the source of truth): write a world, read it back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import asyncpg

from streams.registries import load
from streams.registries.records import (
    CareRelationship,
    CommunicationParty,
    CoreJournalOptOut,
    GpAssignment,
    NationalService,
    ProxyRight,
    Residence,
)
from streams.registries.wire import party_to_record, patient_entry

REGISTRY_TABLES = (
    "core_journal_opt_outs",
    "proxy_rights",
    "residences",
    "care_relationships",
    "gp_assignments",
    "national_services",
    "parties",
)


async def replace_registry(
    conn: asyncpg.Connection,
    *,
    parties: Sequence[CommunicationParty],
    services: Sequence[NationalService],
    gp_assignments: Sequence[GpAssignment],
    residences: Sequence[Residence],
    relationships: Sequence[CareRelationship],
    proxies: Sequence[ProxyRight],
    opt_outs: Sequence[CoreJournalOptOut],
) -> None:
    """Replace every registry table with the given records, in one transaction."""
    async with conn.transaction():
        await conn.execute("TRUNCATE " + ", ".join(REGISTRY_TABLES))
        await _copy(conn, "parties", load.PARTY_COLUMNS, (load.party_to_row(p) for p in parties))
        await _copy(
            conn,
            "national_services",
            load.NATIONAL_SERVICE_COLUMNS,
            (load.national_service_to_row(s) for s in services),
        )
        await _copy(
            conn,
            "gp_assignments",
            load.GP_ASSIGNMENT_COLUMNS,
            (load.gp_assignment_to_row(g) for g in gp_assignments),
        )
        await _copy(
            conn,
            "residences",
            load.RESIDENCE_COLUMNS,
            (load.residence_to_row(r) for r in residences),
        )
        await _copy(
            conn,
            "care_relationships",
            load.CARE_RELATIONSHIP_COLUMNS,
            (load.care_relationship_to_row(c) for c in relationships),
        )
        await _copy(
            conn,
            "proxy_rights",
            load.PROXY_RIGHT_COLUMNS,
            (load.proxy_right_to_row(p) for p in proxies),
        )
        await _copy(
            conn,
            "core_journal_opt_outs",
            load.OPT_OUT_COLUMNS,
            (load.opt_out_to_row(o) for o in opt_outs),
        )


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    records = list(rows)
    if records:
        await conn.copy_records_to_table(table, records=records, columns=list(columns))


async def read_parties(conn: asyncpg.Connection) -> list[CommunicationParty]:
    cols = ", ".join(load.PARTY_COLUMNS)
    return [load.party_from_row(r) for r in await conn.fetch(f"SELECT {cols} FROM parties")]


async def read_national_services(conn: asyncpg.Connection) -> list[NationalService]:
    cols = ", ".join(load.NATIONAL_SERVICE_COLUMNS)
    rows = await conn.fetch(f"SELECT {cols} FROM national_services")
    return [load.national_service_from_row(r) for r in rows]


async def read_patient_entries(
    conn: asyncpg.Connection, patient_key: Callable[[str], str]
) -> list[dict[str, Any]]:
    """One ``PatientRegistryEntry`` record per patient known to any registry table."""
    gps = {
        g.national_id: g
        for g in map(
            load.gp_assignment_from_row,
            await conn.fetch("SELECT national_id, gp_her_id, since FROM gp_assignments"),
        )
    }
    residences = {
        r.national_id: r.municipality_code
        for r in map(
            load.residence_from_row,
            await conn.fetch("SELECT national_id, municipality_code FROM residences"),
        )
    }
    rels: dict[str, list[CareRelationship]] = defaultdict(list)
    for row in await conn.fetch(
        "SELECT national_id, her_id, kind, started_at, ended_at, reason FROM care_relationships"
    ):
        rel = load.care_relationship_from_row(row)
        rels[rel.national_id].append(rel)
    proxies: dict[str, list[ProxyRight]] = defaultdict(list)
    for row in await conn.fetch(
        "SELECT national_id, proxy_national_id, relation, valid_from, valid_to FROM proxy_rights"
    ):
        proxy = load.proxy_right_from_row(row)
        proxies[proxy.national_id].append(proxy)
    opted = {
        r["national_id"] for r in await conn.fetch("SELECT national_id FROM core_journal_opt_outs")
    }
    everyone = set(gps) | set(residences) | set(rels) | set(proxies) | opted
    return [
        patient_entry(
            patient_key=patient_key(nid),
            national_id=nid,
            gp=gps.get(nid),
            municipality_code=residences.get(nid),
            relationships=rels.get(nid, ()),
            proxies=proxies.get(nid, ()),
            opted_out=nid in opted,
        )
        for nid in sorted(everyone)
    ]


__all__ = [
    "party_to_record",
    "read_national_services",
    "read_parties",
    "read_patient_entries",
    "replace_registry",
]
