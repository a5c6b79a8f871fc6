from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.epj._files import Stability, is_candidate
from connectors.epj.filedrop import FileDropConfig, FileDropSource, map_file
from connectors.positions import MemoryPositionStore
from connectors.sdk import MAX_MESSAGE_BYTES, headers
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner
from tests.unit.connectors.messages import DIALOG_SENDER, dialog


def make(tmp_path: Path, **kw: object) -> FileDropSource:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    cfg = {
        "topic": "raw.epj",
        "inbox": inbox,
        "stable_for": 0,
        "scan_interval": 0.01,
        "dead_letter_topic": "dlq",
        "sender_her_ids": [DIALOG_SENDER],
        **kw,
    }
    return FileDropSource(FileDropConfig.model_validate(cfg))


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a.xml", True),
        ("a.xml.tmp", False),
        (".a.xml", False),
        ("a.XML.part", False),
        ("a.txt", False),
    ],
)
def test_only_complete_names_are_candidates(name: str, ok: bool) -> None:
    assert is_candidate(name, "*.xml") is ok


def test_a_growing_file_is_not_ready_until_it_stays_unchanged() -> None:
    s = Stability(stable_for=1.0)
    assert not s.observe("a", (10, 1), now=0.0)
    assert not s.observe("a", (20, 2), now=0.9)  # grew: the clock restarts
    assert not s.observe("a", (20, 2), now=1.5)
    assert s.observe("a", (20, 2), now=2.0)


def test_mapping_takes_message_id_type_and_sender(tmp_path: Path) -> None:
    src = make(tmp_path, sender_her_ids=[DIALOG_SENDER])
    record = map_file("f.xml", dialog("abc-1"), src.config)
    assert record.error is None and record.message_id == "abc-1"
    assert record.key == DIALOG_SENDER.encode()  # keyed by sender: one sender's order is kept
    assert record.header(headers.MESSAGE_TYPE) == "DIALOG_HELSEFAGLIG"
    assert record.header(headers.SENDER_HER_ID) == DIALOG_SENDER


def test_mapping_rejects_a_forged_sender_and_a_wrong_type(tmp_path: Path) -> None:
    src = make(tmp_path, sender_her_ids=["999"])
    assert map_file("f.xml", dialog(), src.config).error is not None
    src = make(tmp_path, accept_types=["SVAR_*"])
    error = map_file("f.xml", dialog(), src.config).error
    assert error is not None and error.code == "T10"


async def run_once(src: FileDropSource, pub: MemoryPublisher, store: MemoryPositionStore) -> None:
    runner = SourceRunner(src, pub, store)
    await src.start(await store.load(src.name))
    records = await src.poll(100)
    if records:
        await runner.process(records)
    await src.stop()


async def test_published_files_move_to_done_and_bad_ones_to_failed_with_a_reason(
    tmp_path: Path,
) -> None:
    src = make(tmp_path)
    (src.inbox / "good.xml").write_bytes(dialog("good-1"))
    (src.inbox / "bad.xml").write_bytes(b"<not-closed")
    (src.inbox / "half.xml.tmp").write_bytes(b"<MsgHead")
    (src.inbox / ".hidden.xml").write_bytes(b"<MsgHead")
    pub = MemoryPublisher()
    await run_once(src, pub, MemoryPositionStore())
    assert pub.message_ids("raw.epj") == ["good-1"]
    assert (src.done_dir / "good.xml").exists()
    assert (src.failed_dir / "bad.xml").exists()
    reason = (src.failed_dir / "bad.xml.reason.txt").read_text()
    assert "code: T01" in reason
    assert len(pub.on("dlq")) == 1
    assert sorted(p.name for p in src.inbox.iterdir() if p.is_file()) == [
        ".hidden.xml",
        "half.xml.tmp",
    ]


async def test_a_file_still_being_written_is_not_read(tmp_path: Path) -> None:
    src = make(tmp_path, stable_for=30)
    (src.inbox / "slow.xml").write_bytes(dialog()[:100])
    pub = MemoryPublisher()
    await run_once(src, pub, MemoryPositionStore())
    assert pub.sent == [] and (src.inbox / "slow.xml").exists()


async def test_crash_after_publish_before_move_does_not_publish_again(tmp_path: Path) -> None:
    src = make(tmp_path)
    (src.inbox / "a.xml").write_bytes(dialog("once"))
    store, pub = MemoryPositionStore(), MemoryPublisher()
    runner = SourceRunner(src, pub, store)
    await src.start({})
    records = await src.poll(10)

    async def crash(records: object) -> None:
        raise RuntimeError("killed")

    src.commit = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await runner.process(records)
    assert (src.inbox / "a.xml").exists()
    again = make(tmp_path)
    await run_once(again, pub, store)
    assert pub.message_ids("raw.epj") == ["once"]
    assert (again.done_dir / "a.xml").exists()


async def test_a_name_clash_in_done_keeps_both_files(tmp_path: Path) -> None:
    src = make(tmp_path)
    src.done_dir.mkdir()
    (src.done_dir / "a.xml").write_bytes(b"older")
    (src.inbox / "a.xml").write_bytes(dialog())
    await run_once(src, MemoryPublisher(), MemoryPositionStore())
    assert sorted(os.listdir(src.done_dir)) == ["a.1.xml", "a.xml"]


async def test_a_file_over_the_size_limit_stays_in_failed_and_its_dead_letter_names_it(
    tmp_path: Path,
) -> None:
    src = make(tmp_path, max_bytes=2048)
    big = dialog("big-1")
    assert len(big) > 2048
    (src.inbox / "big.xml").write_bytes(big)
    pub = MemoryPublisher()
    await run_once(src, pub, MemoryPositionStore())
    (dead,) = pub.on("dlq")
    assert dead.value == b""  # no topic takes what is over the limit; the file keeps it
    reason = headers.get_header(dead.headers, headers.ERROR_REASON) or ""
    assert "big.xml" in reason and headers.get_header(dead.headers, headers.ERROR_CODE) == "T99"
    assert (src.failed_dir / "big.xml").read_bytes() == big
    assert pub.message_ids("raw.epj") == []


def test_no_inbox_takes_more_than_a_topic_does(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="less than or equal"):
        make(tmp_path, max_bytes=MAX_MESSAGE_BYTES + 1)
