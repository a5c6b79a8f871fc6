"""Deliveries written to an EPJ outbox are private to samflyt's user: health data for one
recipient is not readable by every account on the host."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connectors.sinks.epj_delivery import write_atomically


def test_an_outbox_and_its_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox" / "112374"
    old_umask = os.umask(0)
    try:
        write_atomically(outbox, "d-1.xml", b"<MsgHead/>")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert stat.S_IMODE((outbox / "d-1.xml").stat().st_mode) == 0o600
    assert (outbox / "d-1.xml").read_bytes() == b"<MsgHead/>"
