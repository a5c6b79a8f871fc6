"""Medians, the table on stdout, and the JSON results file with the machine and versions."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from streams.settings import REPO_ROOT

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def median_of(runs: Iterable[Mapping[str, float]]) -> dict[str, float]:
    runs = list(runs)
    keys = {k for r in runs for k in r}
    return {k: statistics.median(r[k] for r in runs if k in r) for k in sorted(keys)}


def kafka_version() -> str:
    pom = (REPO_ROOT / "infra" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    return found.group(1) if found else "unknown"


def machine() -> dict[str, Any]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "absent"

    return {
        "cores": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "kafka": kafka_version(),
        "faust": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
        "fastavro": version("fastavro"),
        "lxml": version("lxml"),
    }


def write_results(data: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return path


COLUMNS = (
    ("msgs_per_s", "msg/s", "{:,.0f}"),
    ("mb_per_s", "MB/s", "{:.1f}"),
    ("cpu_s_per_1000", "CPU s/1k", "{:.2f}"),
    ("worker_cpu_pct_of_machine", "CPU % mach", "{:.0f}"),
    ("peak_rss_mb", "RSS MB", "{:.0f}"),
    ("p50_ms", "p50 ms", "{:.0f}"),
    ("p95_ms", "p95 ms", "{:.0f}"),
    ("p99_ms", "p99 ms", "{:.0f}"),
)


def table(rows: Sequence[tuple[str, Mapping[str, float]]]) -> str:
    width = max((len(name) for name, _ in rows), default=0) + 2
    head = "".join(f"{h:>11}" for _, h, _ in COLUMNS)
    lines = [f"{'':<{width}}{head}"]
    for name, figures in rows:
        cells = "".join(
            f"{fmt.format(figures[key]) if key in figures else '-':>11}" for key, _, fmt in COLUMNS
        )
        lines.append(f"{name:<{width}}{cells}")
    return "\n".join(lines)
