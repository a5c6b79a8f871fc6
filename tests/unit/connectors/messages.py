"""Synthetic messages for connector tests, made from the corpus samples (fictitious persons)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus" / "sarepta"
_DIALOG = CORPUS / "dialogmelding-1.1" / "Helsefaglig_dialog_angi_profesjon_hos_mottaker.xml"
_LAB = CORPUS / "svarrapport-1.4" / "Svar_biokjemi_v1-4_Kansellering.xml"

DIALOG_SENDER = "56704"  # HER-id of the sample's sending GP office
LAB_SENDER = "91126"


def _with_id(data: bytes, message_id: str) -> bytes:
    return re.sub(
        rb"<MsgId>[^<]*</MsgId>", b"<MsgId>" + message_id.encode() + b"</MsgId>", data, count=1
    )


def dialog(message_id: str | None = None, sender_her_id: str = DIALOG_SENDER) -> bytes:
    """A Dialogmelding (DIALOG_HELSEFAGLIG) with the given MsgId and sender HER-id."""
    data = _with_id(_DIALOG.read_bytes(), message_id or str(uuid.uuid4()))
    return data.replace(b"<Id>56704</Id>", f"<Id>{sender_her_id}</Id>".encode(), 1)


def lab_result(message_id: str | None = None) -> bytes:
    """A Svarrapport (SVAR_LAB) with the given MsgId."""
    return _with_id(_LAB.read_bytes(), message_id or str(uuid.uuid4()))
