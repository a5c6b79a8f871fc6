"""Duplicate detection forgets a message id after the window, partition by partition, including
entries written before a restart (recovered from the changelog)."""

from __future__ import annotations

from streams.stages.dedup import DedupWindow

DAY = 86_400.0


def test_a_duplicate_is_recognised_within_the_window_and_forgotten_after_it() -> None:
    table: dict[str, str] = {}
    seen = DedupWindow(table, window_s=7 * DAY)
    seen.remember("100:m1", "raw.epj:0:5", 0, now=1_000.0)
    assert seen.first_record("100:m1") == "raw.epj:0:5"
    assert seen.first_record("100:m2") is None
    assert seen.forget_expired(0, now=1_000.0 + 6 * DAY) == 0
    assert seen.first_record("100:m1") == "raw.epj:0:5"
    assert seen.forget_expired(0, now=1_000.0 + 8 * DAY) == 1
    assert seen.first_record("100:m1") is None and table == {}


def test_only_the_partition_being_processed_forgets_its_entries() -> None:
    table: dict[str, str] = {}
    seen = DedupWindow(table, window_s=DAY)
    seen.remember("100:a", "raw.epj:0:1", 0, now=0.0)
    seen.remember("200:b", "raw.lab:1:1", 1, now=0.0)
    assert seen.forget_expired(0, now=2 * DAY) == 1
    assert set(table) == {"200:b"}  # partition 1's entry waits for an event of partition 1
    assert seen.forget_expired(1, now=2 * DAY) == 1 and table == {}


def test_entries_from_before_a_restart_expire_too() -> None:
    table = {
        "100:old": "raw.epj:2:7@1000",  # recovered from the changelog
        "100:legacy": "raw.epj:2:8",  # written before entries had a time: a window from now
        "300:other": "raw.epj:3:1@1000",
    }
    seen = DedupWindow(table, window_s=DAY)  # a fresh worker: no index yet
    assert seen.first_record("100:legacy") == "raw.epj:2:8"
    assert seen.forget_expired(2, now=1000 + 2 * DAY) == 1
    assert set(table) == {"100:legacy", "300:other"}
    assert seen.forget_expired(2, now=1000 + 4 * DAY) == 1
    assert set(table) == {"300:other"}


def test_an_id_remembered_again_is_kept_for_a_whole_window_from_then() -> None:
    table: dict[str, str] = {}
    seen = DedupWindow(table, window_s=DAY)
    seen.remember("100:m", "raw.epj:0:1", 0, now=0.0)
    seen.forget_expired(0, now=2 * DAY)  # forgotten: a replay of it is accepted again
    seen.remember("100:m", "raw.epj:0:9", 0, now=2 * DAY)
    assert seen.forget_expired(0, now=2.5 * DAY) == 0
    assert seen.first_record("100:m") == "raw.epj:0:9"


def test_after_a_rebalance_the_index_is_rebuilt_from_the_table() -> None:
    table: dict[str, str] = {}
    seen = DedupWindow(table, window_s=DAY)
    seen.remember("100:a", "raw.epj:0:1", 0, now=0.0)
    table["100:b"] = "raw.epj:0:2@10"  # written by another worker while it owned partition 0
    seen.reset()
    assert seen.forget_expired(0, now=2 * DAY) == 2 and table == {}
