"""The file-drop state machine, without Kafka: which files are ready, and where they go after.

A file is *ready* when its name is complete (not a dotfile, not ``*.tmp``/``*.part``, matching
the pattern) and its size and modification time have not changed for ``stable_for`` seconds.
EPJ systems are expected to write ``name.tmp`` (or ``.name``) and rename; the stable-size check
catches those that do not.

Only regular files are read, opened without following a symbolic link and checked by ``fstat``
on the open descriptor (so what is checked is what is read), their size before a byte is read.
Anything else under a candidate name — a link, a FIFO, a device — is refused, never opened
through. What samflyt keeps aside (``failed/``, its reason files) is private to its user.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FileRefusal",
    "Stability",
    "ensure_private_dir",
    "is_candidate",
    "make_private",
    "move_aside",
    "read_inbox_file",
    "write_reason",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

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


@dataclass(frozen=True, slots=True)
class FileRefusal:
    """Why an inbox entry is not read: a code for its dead letter and a reason for ``failed/``
    (names the file, never its content)."""

    code: str
    reason: str


def _refusal_of_mode(mode: int) -> FileRefusal | None:
    if stat.S_ISREG(mode):
        return None
    return FileRefusal("not-regular-file", "not a regular file (a link, FIFO or device)")


def read_inbox_file(path: Path, max_bytes: int) -> bytes | FileRefusal:
    """The bytes of a regular file of at most ``max_bytes``, or why it is refused. Never
    follows a symbolic link, never blocks on a FIFO, never reads more than ``max_bytes + 1``.
    Raises only ``FileNotFoundError`` (the file was taken away meanwhile)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return FileRefusal("not-regular-file", "a symbolic link (never followed)")
        return FileRefusal("unreadable-file", f"could not be opened: {exc.strerror}")
    try:
        status = os.fstat(fd)
        refused = _refusal_of_mode(status.st_mode)
        if refused is not None:
            return refused
        if status.st_size > max_bytes:
            return _too_large(status.st_size, max_bytes)
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        return FileRefusal("unreadable-file", f"could not be read: {exc.strerror}")
    finally:
        os.close(fd)
    return _too_large(len(data), max_bytes) if len(data) > max_bytes else data


def _too_large(size: int, max_bytes: int) -> FileRefusal:
    return FileRefusal("T99", f"of {size} bytes is larger than {max_bytes}")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` if need be and make it ``0700``: what it holds was refused, may
    be misaddressed health data, and is no one else's to read."""
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(directory, PRIVATE_DIR_MODE)


def make_private(path: Path) -> None:
    """``chmod 0600`` without following a link (a link itself is left as it is)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)


def move_aside(src: Path, directory: Path) -> Path:
    """Move ``src`` into ``directory`` atomically (same file system); never overwrite (a
    dangling link there included)."""
    target = directory / src.name
    n = 1
    while os.path.lexists(target):
        target = directory / f"{src.stem}.{n}{src.suffix}"
        n += 1
    os.replace(src, target)
    return target


def write_reason(directory: Path, name: str, code: str, reason: str) -> None:
    """Write ``<name>.reason.txt`` beside a failed file (atomically: temp file + rename), mode
    ``0600``; a link planted at the temp name is not followed."""
    tmp = directory / f".{name}.reason.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        fh.write(f"code: {code}\nreason: {reason}\n")
    os.replace(tmp, directory / f"{name}.reason.txt")
