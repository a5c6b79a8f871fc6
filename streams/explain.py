"""``samflyt route explain FILE``: which parties a message would reach, and why — without
sending anything. Reads the registry from PostgreSQL (the source of truth) once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.xml.identifiers import mask
from streams.db import connect
from streams.registries.feed import patient_key_fn
from streams.registries.store import read_national_services, read_parties, read_patient_entries
from streams.registries.view import RegistryView
from streams.registries.wire import context_from_entry
from streams.routing.rules import load_rule_set
from streams.routing.state import PatientState
from streams.settings import Settings
from streams.stages.route import route_event
from streams.stages.validate import Accepted, Origin, validate


async def load_view(settings: Settings, today: Callable[[], date] = date.today) -> RegistryView:
    conn = await connect(settings)
    try:
        view = RegistryView()
        for party in await read_parties(conn):
            view.put_party(party)
        for service in await read_national_services(conn):
            view.put_service(service)
        for entry in await read_patient_entries(conn, patient_key_fn(settings)):
            view.put_patient(context_from_entry(entry, today=today()))
        return view
    finally:
        await conn.close()


def explain(data: bytes, view: RegistryView, settings: Settings) -> dict[str, Any]:
    """The routing outcome of one message as a JSON-ready mapping (national ids masked)."""
    origin = Origin("explain", 0, 0, None, None, ())
    keyed = patient_key_fn(settings)
    result = validate(data, origin=origin, registry=view, patient_key=keyed,
                      reject_unknown_receiver=settings.reject_unknown_receiver,
                      test_environment=settings.test_environment)
    if not isinstance(result, Accepted):
        return {"accepted": False, "code": result.error.code,
                "reason": result.dead_letter["reason"], "detail": result.dead_letter["detail"],
                "apprecs_to_sender": len(result.receipts)}
    rules = load_rule_set(settings.routing_rules)
    outcome = route_event(result.event, view=view, rules=rules, state=PatientState(),
                          now=datetime.now(UTC), overdue_after=timedelta(0), traceparent=None,
                          person_key=keyed)
    return {
        "accepted": True,
        "message_id": result.parsed.message_id,
        "msg_type": result.parsed.msg_type,
        "rule_set": rules.version,
        "recipients": [
            {"her_id": g.her_id, "name": g.name, "topic": g.topic, "reason": g.reason,
             "rule": g.rule_id, "priority": g.priority,
             "for_citizen": None if g.person is None else mask(g.person)}
            for g in outcome.routing.grants
        ],
        "refused": [
            {"her_id": r.her_id, "name": r.name, "reason": r.reason, "detail": r.detail,
             "rule": r.rule_id}
            for r in outcome.routing.refusals
        ],
        "awaits_answer": outcome.opened is not None,
        "apprecs_to_sender": len(result.receipts),
    }


def render(path: Path, report: dict[str, Any], as_json: bool) -> str:
    if as_json:
        return json.dumps({"file": str(path), **report}, indent=2, ensure_ascii=False)
    if not report["accepted"]:
        return f"{path}: REJECTED {report['code']} ({report['reason']}): {report['detail']}"
    lines = [f"{path}: {report['msg_type']} {report['message_id']} (rules {report['rule_set']})"]
    for r in report["recipients"]:
        who = f"{r['her_id']}" + (f" for {r['for_citizen']}" if r["for_citizen"] else "")
        lines.append(f"  → {who:<28} {r['topic']:<34} {r['reason']:<18} rule {r['rule']}"
                     f"{' [' + r['priority'] + ']' if r['priority'] != 'normal' else ''}")
    for r in report["refused"]:
        lines.append(f"  ✗ {r['her_id']:<28} {r['reason']:<34} {r['detail']}")
    if report["awaits_answer"]:
        lines.append("  … awaits an answer (overdue watch)")
    return "\n".join(lines)
