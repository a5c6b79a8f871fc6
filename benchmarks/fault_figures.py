"""The figures of a fault run, from what the watcher saw and what the workers logged. Pure."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SLOW_S = 2.0  # an input slower than this end to end was held up by the fault


@dataclass(frozen=True)
class Window:
    """When the fault began and when its cause was gone (the broker ready again; for a
    worker fault, at once)."""

    started: float
    ready: float


def gap_and_recovery(
    sent: Mapping[str, float], first_out: Mapping[str, float], window: Window
) -> tuple[float, float]:
    """The longest stretch without any output from the fault on, and when the last input
    slower than :data:`SLOW_S` got its output (the fault's backlog cleared; the fault's
    start when nothing was slow)."""
    outs = sorted(t for t in first_out.values() if t >= window.started)
    edges = [window.started, *outs]
    gap = max((b - a for a, b in itertools.pairwise(edges)), default=0.0)
    slow = [
        first_out[trace]
        for trace, at in sent.items()
        if trace in first_out and first_out[trace] >= window.started
        and first_out[trace] - at > SLOW_S
    ]  # fmt: skip
    return gap, max(slow, default=window.ready)


def log_lines_between(paths: Sequence[Path], start: float, end: float) -> tuple[int, int]:
    """JSON log lines stamped within [start, end] in ``paths`` (lines that are not JSON
    count too, when they come between stamped ones of the window), and how many client
    lines the outage lines say they held back."""
    lines = held_back = 0
    for path in paths:
        inside = False
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                at = datetime.fromisoformat(entry["ts"]).timestamp()
                inside = start <= at <= end
            except (ValueError, KeyError, TypeError):
                pass
            else:
                held_back += int(entry.get("client_lines_held_back", 0)) if inside else 0
            lines += inside
    return lines, held_back
