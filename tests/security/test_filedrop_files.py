"""The file drop reads only regular files, opened without following links, their size checked
before a byte is read; an entry it cannot read is quarantined with its reason while the rest
of the inbox flows; the sender list is required; what it keeps aside is private."""

from __future__ import annotations

import io
import os
import stat
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.epj import _files
from connectors.epj.filedrop import FileDropConfig, FileDropSource
from connectors.positions import MemoryPositionStore
from connectors.sdk import ConnectorConfigError, headers, validate_config
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner
from tests.unit.connectors.messages import dialog
from tests.unit.connectors.test_filedrop import make


async def drain(src: FileDropSource, pub: MemoryPublisher, polls: int = 3) -> None:
    """Start, poll and process a few times (as the runner does), stop."""
    runner = SourceRunner(src, pub, MemoryPositionStore())
    await src.start({})
    try:
        for _ in range(polls):
            records = await src.poll(100)
            if records:
                await runner.process(records)
    finally:
        await src.stop()


def reasons(pub: MemoryPublisher) -> dict[str, str]:
    """Dead letters' error code by the file they name."""
    found = {}
    for dead in pub.on("dlq"):
        reason = headers.get_header(dead.headers, headers.ERROR_REASON) or ""
        found[reason.split()[1]] = headers.get_header(dead.headers, headers.ERROR_CODE) or ""
    return found


async def test_a_link_to_a_file_elsewhere_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "journal.xml"
    secret.parent.mkdir()
    secret.write_bytes(dialog("secret-1"))
    secret.chmod(0o600)
    src = make(tmp_path)
    (src.inbox / "link.xml").symlink_to(secret)
    (src.inbox / "good.xml").write_bytes(dialog("good-1"))
    pub = MemoryPublisher()
    await drain(src, pub)
    assert pub.message_ids("raw.epj") == ["good-1"]
    (dead,) = pub.on("dlq")
    assert dead.value == b""  # not one byte of the link's target
    assert reasons(pub) == {"link.xml": "not-regular-file"}
    assert (src.failed_dir / "link.xml").is_symlink()  # the link quarantined, not its target
    assert secret.read_bytes() == dialog("secret-1")


async def test_a_fifo_in_the_inbox_is_quarantined_without_blocking(tmp_path: Path) -> None:
    src = make(tmp_path)
    os.mkfifo(src.inbox / "pipe.xml")
    (src.inbox / "good.xml").write_bytes(dialog("good-2"))
    pub = MemoryPublisher()
    await drain(src, pub)
    assert pub.message_ids("raw.epj") == ["good-2"]
    assert reasons(pub) == {"pipe.xml": "not-regular-file"}


def _created(path: Path) -> Path:
    path.touch()
    return path


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    yield
    tracemalloc.stop()


async def test_a_sparse_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, traced: None
) -> None:
    src = make(tmp_path, max_bytes=1024 * 1024)
    os.truncate(_created(src.inbox / "sparse.xml"), 256 * 1024 * 1024)  # nothing on disk
    pub = MemoryPublisher()
    tracemalloc.reset_peak()
    await drain(src, pub)
    _, peak = tracemalloc.get_traced_memory()
    assert reasons(pub) == {"sparse.xml": "T99"}
    assert peak < 16 * 1024 * 1024, f"{peak} bytes allocated for a refused file"


async def test_a_file_that_cannot_be_read_is_quarantined_and_the_rest_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the tests may run as root, whom modes do not stop: the file system refuses it instead
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("locked.xml") and Path(path).parent.name == "inbox":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    src = make(tmp_path)
    (src.inbox / "locked.xml").write_bytes(dialog("locked"))
    (src.inbox / "m.xml").write_bytes(dialog("after-1"))
    monkeypatch.setattr(_files.os, "open", refusing_open)
    monkeypatch.setattr(io, "open", _refusing_io_open(io.open))
    pub = MemoryPublisher()
    await drain(src, pub)
    (src.inbox / "z.xml").write_bytes(dialog("after-2"))  # and later polls still flow
    await drain(src, pub)
    assert pub.message_ids("raw.epj") == ["after-1", "after-2"]
    assert reasons(pub) == {"locked.xml": "unreadable-file"}
    assert "Permission denied" in (src.failed_dir / "locked.xml.reason.txt").read_text()


def _refusing_io_open(real: Any) -> Any:
    def refusing(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("locked.xml") and Path(str(file)).parent.name == "inbox":
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    return refusing


def test_an_inbox_without_its_sender_list_is_a_config_problem(tmp_path: Path) -> None:
    raw = {"topic": "raw.epj", "inbox": str(tmp_path)}
    with pytest.raises(ConnectorConfigError) as caught:
        validate_config("epj-filedrop", FileDropConfig, raw)
    assert "sender_her_ids" in {p.setting for p in caught.value.problems}
    with pytest.raises(ConnectorConfigError):
        validate_config("epj-filedrop", FileDropConfig, {**raw, "sender_her_ids": []})


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


async def test_failed_files_and_their_reasons_are_private(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # the mode must not depend on the process's umask
    try:
        src = make(tmp_path)
        bad = src.inbox / "bad.xml"
        bad.write_bytes(b"<not-closed")
        bad.chmod(0o644)
        await drain(src, MemoryPublisher())
    finally:
        os.umask(old_umask)
    assert _mode(src.failed_dir) == 0o700
    assert _mode(src.failed_dir / "bad.xml") == 0o600
    assert _mode(src.failed_dir / "bad.xml.reason.txt") == 0o600
