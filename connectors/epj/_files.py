"""The file-drop state machine, without Kafka: which files are ready, and where they go after.

A file is *ready* when its name is complete (not a dotfile, not ``*.tmp``/``*.part``, matching
the pattern) and its size and modification time have not changed for ``stable_for`` seconds.
EPJ systems are expected to write ``name.tmp`` (or ``.name``) and rename; the stable-size check
catches those that do not.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Stability", "is_candidate", "move_aside", "write_reason"]

PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".swp")


def is_candidate(name: str, pattern: str) -> bool:
    """True for a complete file name the inbox should consider."""
    if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
        return False
    return fnmatch.fnmatchcase(name, pattern)


@dataclass
class Stability:
    """Remembers each file's (size, mtime) and since when it has been unchanged."""

    stable_for: float
    _seen: dict[str, tuple[tuple[int, int], float]] = field(default_factory=dict)

    def observe(self, name: str, signature: tuple[int, int], now: float) -> bool:
        """Record an observation; True when the file has been unchanged for ``stable_for``."""
        previous = self._seen.get(name)
        if previous is None or previous[0] != signature:
            self._seen[name] = (signature, now)
            return self.stable_for <= 0
        return now - previous[1] >= self.stable_for

    def forget(self, names: Iterable[str]) -> None:
        for name in names:
            self._seen.pop(name, None)

    def keep_only(self, names: set[str]) -> None:
        for gone in set(self._seen) - names:
            del self._seen[gone]


def move_aside(src: Path, directory: Path) -> Path:
    """Move ``src`` into ``directory`` atomically (same file system); never overwrite."""
    target = directory / src.name
    n = 1
    while target.exists():
        target = directory / f"{src.stem}.{n}{src.suffix}"
        n += 1
    os.replace(src, target)
    return target


def write_reason(directory: Path, name: str, code: str, reason: str) -> None:
    """Write ``<name>.reason.txt`` beside a failed file (atomically: temp file + rename)."""
    tmp = directory / f".{name}.reason.tmp"
    tmp.write_text(f"code: {code}\nreason: {reason}\n", encoding="utf-8")
    os.replace(tmp, directory / f"{name}.reason.txt")
