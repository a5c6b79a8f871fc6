"""Pure command bodies for ``samflyt parse`` and ``samflyt apprec`` (wired in by the main CLI).

Output never contains a national id in clear: every person number is masked.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from schemas.canonical import to_canonical
from schemas.errors import MessageError
from schemas.model import ParsedMessage
from schemas.pseudonym import patient_key
from schemas.xml.apprec import (
    ERROR_TEXTS,
    AppRecError,
    AppRecStatus,
    build_apprec,
    receipts_for,
)
from schemas.xml.identifiers import mask
from schemas.xml.parse import parse_message
from schemas.xml.rules import check_business_rules

__all__ = ["cmd_apprec", "cmd_parse", "event_to_json", "message_to_json"]

_PERSON_ID_TYPES = frozenset({"FNR", "DNR", "HNR", "FHN", "PNR", "DUF"})


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def message_to_json(msg: ParsedMessage) -> dict[str, Any]:
    """The parsed message as JSON-able data, national ids masked, raw bytes left out."""
    data: dict[str, Any] = {}
    for key, value in asdict(msg).items() if is_dataclass(msg) else ():
        if key == "raw":
            data["raw_size"] = len(msg.raw)
            continue
        data[key] = _plain(value)
    patient = data.get("patient")
    if patient:
        _mask_idents(patient.get("idents", []))
    return data


def event_to_json(event: dict[str, Any]) -> dict[str, Any]:
    """A canonical event as JSON-able data: national ids masked, the original bytes left out
    (their size and SHA-256 stay), the payload as ``{"type": full name, "record": ...}``."""
    data: dict[str, Any] = {}
    for key, value in event.items():
        if key == "payload" and isinstance(value, tuple):
            name, record = value
            data[key] = {"type": name, "record": _plain(record)}
        else:
            data[key] = _plain(value)
    patient = data.get("patient")
    if patient:
        if patient.get("national_id"):
            patient["national_id"] = mask(patient["national_id"])
        _mask_idents(patient.get("idents", []))
    return data


def _mask_idents(idents: list[dict[str, Any]]) -> None:
    for ident in idents:
        if ident.get("type", "").upper() in _PERSON_ID_TYPES or len(ident.get("id", "")) == 11:
            ident["id"] = mask(ident["id"])


def cmd_parse(
    paths: list[str],
    *,
    strict: bool,
    test_environment: bool = False,
    patient_key_secret: bytes | None = None,
    out: TextIO | None = None,
) -> int:
    """Print each file's canonical event as JSON; for a message the business rules refuse, what
    was read, its typed error and the AppRec that would be sent; for one that cannot be read,
    the typed error.

    ``test_environment`` applies the rules as a non-production deployment does;
    ``patient_key_secret`` gives the event the pseudonymous patient key the pipeline would."""
    stream = out or sys.stdout
    failures = 0
    for path in paths:
        data = Path(path).read_bytes()
        try:
            msg = parse_message(data, strict=strict)
        except MessageError as exc:
            failures += 1
            report = {
                "file": path,
                "error": {"code": exc.code, "detail": exc.detail},
                "apprec": None,
                "note": "unreadable: no AppRec can be addressed",
            }
            print(json.dumps(report, ensure_ascii=False), file=stream)
            continue
        result: dict[str, Any] = {"file": path}
        try:
            check_business_rules(msg, test_environment=test_environment)
        except MessageError as exc:  # dead-lettered by the pipeline: there is no event
            failures += 1
            receipts = receipts_for(msg, AppRecStatus.REJECTED, [exc])
            result["message"] = message_to_json(msg)
            result["error"] = {"code": exc.code, "detail": exc.detail}
            result["apprec"] = [b.decode() for _, b in receipts]
        else:
            national_id = msg.patient.national_id if msg.patient else None
            key = (
                patient_key(national_id, patient_key_secret)
                if national_id and patient_key_secret
                else None
            )
            event = to_canonical(msg, patient_key=key, received_at=datetime.now(UTC))
            result["event"] = event_to_json(event)
        print(json.dumps(result, ensure_ascii=False), file=stream)
    return 0 if failures == 0 else 1


def cmd_apprec(
    path: str, status: str, out: str | None, errors: Sequence[str] = ()
) -> int:
    """Write the AppRec the primary receiver would send for ``path`` (to ``out`` or stdout).

    ``errors`` (``CODE`` or ``CODE:detail``, kodeverk 8221) say why a message is rejected; without
    them a rejection gives the business rules' error, and a message that passes the rules
    cannot be rejected without one: the standard requires every rejection to name its error.
    """
    try:
        state = AppRecStatus.parse(status)
    except ValueError:
        print(f"unknown status {status!r}: use ok, rejected or ok-errors-in-parts", file=sys.stderr)
        return 2
    given: list[AppRecError] = []
    for text in errors:
        code, _, detail = text.partition(":")
        code = code.strip().upper()
        if code not in ERROR_TEXTS:
            known = ", ".join(ERROR_TEXTS)
            print(f"unknown error code {code!r} (kodeverk 8221: {known})", file=sys.stderr)
            return 2
        given.append(AppRecError(code, detail.strip() or None))
    if given and state is AppRecStatus.OK:
        print("an OK receipt carries no errors: use --status rejected", file=sys.stderr)
        return 2
    try:
        msg = parse_message(Path(path).read_bytes())
    except MessageError as exc:
        print(f"{exc.code}: {exc.detail}", file=sys.stderr)
        return 1
    found: list[MessageError | AppRecError] = list(given)
    if state is not AppRecStatus.OK and not found:
        try:
            check_business_rules(msg)
        except MessageError as exc:
            found.append(exc)
        else:
            print(
                f"{path} passes the business rules: name why it is {state.text!r} with"
                " --error CODE[:detail] (kodeverk 8221)",
                file=sys.stderr,
            )
            return 2
    receipt = build_apprec(msg, state, found)
    if out:
        Path(out).write_bytes(receipt)
    else:
        sys.stdout.write(receipt.decode() + "\n")
    return 0
