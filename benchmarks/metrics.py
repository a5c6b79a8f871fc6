"""Pipeline-side figures, when the workers export Prometheus metrics: the mean of every
histogram (``*_sum`` / ``*_count``) per label set, summed over the workers."""

from __future__ import annotations

import re
import urllib.request
from collections import defaultdict

_LINE = re.compile(r"^([a-zA-Z_:][\w:]*?)_(sum|count)(\{[^}]*\})?\s+([0-9.eE+-]+)$")


def scrape(ports: list[int], timeout: float = 2.0) -> dict[str, float] | None:
    """Mean per histogram series in the series' unit, or None when no worker exports metrics."""
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, float] = defaultdict(float)
    answered = False
    for port in ports:
        for path in ("/metrics", "/"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
                    text = r.read().decode("utf-8", "replace")
            except OSError:
                continue
            answered = True
            for line in text.splitlines():
                m = _LINE.match(line)
                if m:
                    name = m.group(1) + (m.group(3) or "")
                    (sums if m.group(2) == "sum" else counts)[name] += float(m.group(4))
            break
    if not answered:
        return None
    return {name: sums[name] / n for name, n in counts.items() if n and name in sums}
