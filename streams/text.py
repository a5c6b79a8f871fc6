"""Plain-text output of the command line: aligned tables, and times in Norwegian time (the
time the messages' own timestamps and the operators' questions are in)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["NORWAY", "aligned", "norwegian_time"]

NORWAY = ZoneInfo("Europe/Oslo")


def norwegian_time(moment: datetime) -> str:
    """``moment`` (aware) in Norwegian time, to the second, e.g. ``2026-12-08 02:30:00``."""
    return f"{moment.astimezone(NORWAY):%Y-%m-%d %H:%M:%S}"


def aligned(table: Sequence[Sequence[str]], left: int) -> list[str]:
    """Each column as wide as its widest cell, two spaces apart; the first ``left`` columns
    aligned left, the rest (figures) right: wide values never run into each other."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
