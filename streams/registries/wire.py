"""Pure conversions between registry records and the Avro records of the registry topics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar

from streams.registries.records import (
    CareLevel,
    CareRelationship,
    CommunicationParty,
    GpAssignment,
    PartyKind,
    ProxyRight,
)
from streams.registries.view import PatientContext, Relationship

T = TypeVar("T")


def party_to_record(p: CommunicationParty) -> dict[str, Any]:
    return {
        "her_id": p.her_id, "name": p.name, "kind": p.kind.name, "care_level": p.care_level.name,
        "municipality_code": p.municipality_code, "parent_her_id": p.parent_her_id,
        "org_no": p.org_no, "hpr": p.hpr, "accepts": {k: list(v) for k, v in p.accepts.items()},
        "active": p.active, "updated_at": None,
    }  # fmt: skip


def party_from_record(r: Mapping[str, Any]) -> CommunicationParty:
    return CommunicationParty(
        her_id=r["her_id"], name=r["name"], kind=PartyKind[r["kind"]],
        care_level=CareLevel[r["care_level"]], municipality_code=r.get("municipality_code"),
        parent_her_id=r.get("parent_her_id"), org_no=r.get("org_no"), hpr=r.get("hpr"),
        accepts=MappingProxyType({k: tuple(v) for k, v in (r.get("accepts") or {}).items()}),
        active=bool(r.get("active", True)),
    )  # fmt: skip


def patient_entry(
    *,
    patient_key: str,
    national_id: str,
    gp: GpAssignment | None,
    municipality_code: str | None,
    relationships: Iterable[CareRelationship],
    proxies: Iterable[ProxyRight],
    opted_out: bool,
) -> dict[str, Any]:
    """The ``PatientRegistryEntry`` record of one patient, joined from the registry tables."""
    return {
        "patient_key": patient_key,
        "national_id": national_id,
        "gp": {"gp_her_id": gp.gp_her_id, "since": gp.since} if gp else None,
        "residence_municipality_code": municipality_code,
        "care_relationships": [
            {
                "her_id": r.her_id,
                "kind": r.kind,
                "started_at": r.started_at,
                "ended_at": r.ended_at,
                "reason": r.reason,
            }
            for r in relationships
        ],
        "proxies": [
            {
                "proxy_national_id": p.proxy_national_id,
                "relation": p.relation,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
            }
            for p in proxies
        ],
        "core_journal_opt_out": opted_out,
        "updated_at": None,
    }


def _split(
    items: Iterable[tuple[T, date, date | None]], today: date
) -> tuple[tuple[T, ...], tuple[tuple[T, date, date | None], ...]]:
    """(items that hold from today on for good, items that start or end later); items that
    ended by today are left out."""
    lasting: list[T] = []
    dated: list[tuple[T, date, date | None]] = []
    for item, start, end in items:
        if end is not None and end <= today:
            continue
        if start <= today and end is None:
            lasting.append(item)
        else:
            dated.append((item, start, end))
    return tuple(lasting), tuple(dated)


def context_from_entry(r: Mapping[str, Any], *, today: date) -> PatientContext:
    """What routing needs of a patient entry: relationships and proxies, those that start or
    end after ``today`` with their dates (see :meth:`PatientContext.on`)."""
    gp = r.get("gp")
    relationships, dated_relationships = _split(
        (
            (Relationship(c["her_id"], c["kind"], c.get("reason") or ""), c["started_at"],
             c.get("ended_at"))
            for c in r.get("care_relationships") or ()
        ),
        today,
    )  # fmt: skip
    proxies, dated_proxies = _split(
        (
            (p["proxy_national_id"], p["valid_from"], p.get("valid_to"))
            for p in r.get("proxies") or ()
        ),
        today,
    )
    return PatientContext(
        patient_key=r["patient_key"],
        gp_her_id=gp["gp_her_id"] if gp else None,
        municipality_code=r.get("residence_municipality_code"),
        relationships=relationships,
        proxies=proxies,
        core_journal_opt_out=bool(r.get("core_journal_opt_out")),
        dated_relationships=dated_relationships,
        dated_proxies=dated_proxies,
    )
