"""Pure conversions between registry records and database rows (no I/O here).

Each table has a ``*_COLUMNS`` tuple (the column order of the row tuples, matching
``infra/postgres/migrations/0002_registries.sql``), a ``*_to_row`` and a ``*_from_row``. Rows are
plain tuples of ``str``/``bool``/``date``/``None``/``list[str]``; ``accepts`` travels as JSON text
(column type ``jsonb``) so asyncpg needs no custom codec. ``from_row`` accepts any sequence, e.g.
an ``asyncpg.Record``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

from streams.registries.records import (
    CareLevel,
    CareRelationship,
    CommunicationParty,
    CoreJournalOptOut,
    GpAssignment,
    NationalService,
    PartyKind,
    ProxyRight,
    Residence,
)

__all__ = [
    "CARE_RELATIONSHIP_COLUMNS",
    "GP_ASSIGNMENT_COLUMNS",
    "NATIONAL_SERVICE_COLUMNS",
    "OPT_OUT_COLUMNS",
    "PARTY_COLUMNS",
    "PROXY_RIGHT_COLUMNS",
    "RESIDENCE_COLUMNS",
    "care_relationship_from_row",
    "care_relationship_to_row",
    "gp_assignment_from_row",
    "gp_assignment_to_row",
    "national_service_from_row",
    "national_service_to_row",
    "opt_out_from_row",
    "opt_out_to_row",
    "party_from_row",
    "party_to_row",
    "proxy_right_from_row",
    "proxy_right_to_row",
    "residence_from_row",
    "residence_to_row",
]

Row = tuple[Any, ...]

PARTY_COLUMNS = (
    "her_id", "name", "kind", "care_level", "municipality_code", "parent_her_id", "org_no",
    "hpr", "accepts", "active",
)  # fmt: skip
GP_ASSIGNMENT_COLUMNS = ("national_id", "gp_her_id", "since")
CARE_RELATIONSHIP_COLUMNS = (
    "national_id", "her_id", "kind", "started_at", "ended_at", "reason",
)  # fmt: skip
NATIONAL_SERVICE_COLUMNS = ("her_id", "name", "topic_suffix", "entitled_types")
RESIDENCE_COLUMNS = ("national_id", "municipality_code")
PROXY_RIGHT_COLUMNS = ("national_id", "proxy_national_id", "relation", "valid_from", "valid_to")
OPT_OUT_COLUMNS = ("national_id",)


def _accepts_to_json(accepts: Any) -> str:
    return json.dumps({k: list(v) for k, v in sorted(accepts.items())}, ensure_ascii=False)


def _accepts_from_json(value: Any) -> MappingProxyType[str, tuple[str, ...]]:
    raw = json.loads(value) if isinstance(value, str | bytes) else dict(value or {})
    return MappingProxyType({str(k): tuple(str(x) for x in v) for k, v in raw.items()})


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _date(value: Any) -> date:
    result = _opt_date(value)
    if result is None:
        raise ValueError("date column is NULL")
    return result


def party_to_row(p: CommunicationParty) -> Row:
    return (
        p.her_id, p.name, p.kind.value, p.care_level.value, p.municipality_code, p.parent_her_id,
        p.org_no, p.hpr, _accepts_to_json(p.accepts), p.active,
    )  # fmt: skip


def party_from_row(row: Sequence[Any]) -> CommunicationParty:
    return CommunicationParty(
        her_id=str(row[0]),
        name=str(row[1]),
        kind=PartyKind(row[2]),
        care_level=CareLevel(row[3]),
        municipality_code=_opt_str(row[4]),
        parent_her_id=_opt_str(row[5]),
        org_no=_opt_str(row[6]),
        hpr=_opt_str(row[7]),
        accepts=_accepts_from_json(row[8]),
        active=bool(row[9]),
    )


def gp_assignment_to_row(a: GpAssignment) -> Row:
    return (a.national_id, a.gp_her_id, a.since)


def gp_assignment_from_row(row: Sequence[Any]) -> GpAssignment:
    return GpAssignment(national_id=str(row[0]), gp_her_id=str(row[1]), since=_date(row[2]))


def care_relationship_to_row(c: CareRelationship) -> Row:
    return (c.national_id, c.her_id, c.kind, c.started_at, c.ended_at, c.reason)


def care_relationship_from_row(row: Sequence[Any]) -> CareRelationship:
    return CareRelationship(
        national_id=str(row[0]),
        her_id=str(row[1]),
        kind=str(row[2]),
        started_at=_date(row[3]),
        ended_at=_opt_date(row[4]),
        reason=str(row[5] or ""),
    )


def national_service_to_row(s: NationalService) -> Row:
    return (s.her_id, s.name, s.topic_suffix, sorted(s.entitled_types))


def national_service_from_row(row: Sequence[Any]) -> NationalService:
    return NationalService(
        her_id=str(row[0]),
        name=str(row[1]),
        topic_suffix=str(row[2]),
        entitled_types=frozenset(str(t) for t in row[3]),
    )


def residence_to_row(r: Residence) -> Row:
    return (r.national_id, r.municipality_code)


def residence_from_row(row: Sequence[Any]) -> Residence:
    return Residence(national_id=str(row[0]), municipality_code=str(row[1]))


def proxy_right_to_row(p: ProxyRight) -> Row:
    return (p.national_id, p.proxy_national_id, p.relation, p.valid_from, p.valid_to)


def proxy_right_from_row(row: Sequence[Any]) -> ProxyRight:
    return ProxyRight(
        national_id=str(row[0]),
        proxy_national_id=str(row[1]),
        relation=str(row[2]),
        valid_from=_date(row[3]),
        valid_to=_opt_date(row[4]),
    )


def opt_out_to_row(o: CoreJournalOptOut) -> Row:
    return (o.national_id,)


def opt_out_from_row(row: Sequence[Any]) -> CoreJournalOptOut:
    return CoreJournalOptOut(national_id=str(row[0]))
