"""The overdue watch: a tick reads only what is due, in deadline order, per partition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streams.stages.overdue_watch import OverdueWatch, is_early_answer

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
AFTER = timedelta(hours=96)


def _request(partition: int, deadline: datetime) -> dict[str, Any]:
    return {"partition": partition, "message_id": "m", "deadline": deadline.isoformat()}


class CountingTable(dict[str, dict[str, Any]]):
    """A table that counts how many entries were read by iteration (a full scan)."""

    scanned = 0

    def items(self) -> Any:
        self.scanned += len(self)
        return super().items()


def test_only_due_requests_of_the_partition_are_taken_earliest_first() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.watch("late", _request(0, T0 + timedelta(hours=2)))
    watch.watch("early", _request(0, T0 + timedelta(hours=1)))
    watch.watch("not-yet", _request(0, T0 + timedelta(hours=5)))
    watch.watch("other-partition", _request(1, T0))
    due = watch.take_due(0, T0 + timedelta(hours=3))
    assert [request_id for request_id, _ in due] == ["early", "late"]
    assert "early" in watch.table  # kept until handled


def test_a_handled_entry_is_forgotten_and_an_unhandled_one_is_due_again() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.watch("a", _request(0, T0))
    watch.watch("b", _request(0, T0))
    now = T0 + timedelta(minutes=1)
    first = [request_id for request_id, _ in watch.take_due(0, now)]
    watch.done(0, first[0])  # the second one's handling failed (e.g. its send raised)
    assert first[0] not in watch.table
    assert [request_id for request_id, _ in watch.take_due(0, now)] == [first[1]]


def test_an_answered_request_is_not_due() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.watch("answered", _request(0, T0))
    watch.answered("answered")  # what the route agent does when the answer comes
    assert watch.take_due(0, T0 + timedelta(days=1)) == []


def test_an_early_answer_is_forgotten_after_twice_the_overdue_time() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.answered_early("req", 0, T0)
    assert is_early_answer(watch.table["req"])
    assert watch.take_due(0, T0 + 2 * AFTER - timedelta(seconds=1)) == []
    [(request_id, entry)] = watch.take_due(0, T0 + 2 * AFTER)
    assert request_id == "req" and is_early_answer(entry)


def test_entries_recovered_from_the_changelog_fall_due_and_ticks_do_not_scan_the_table() -> None:
    table = CountingTable(
        {f"r{i}": _request(i % 2, T0 + timedelta(hours=i)) for i in range(1000)}
    )
    watch = OverdueWatch(table, AFTER)
    due = watch.take_due(0, T0 + timedelta(hours=10))  # first sight of partition 0: one scan
    assert [request_id for request_id, _ in due] == ["r0", "r2", "r4", "r6", "r8", "r10"]
    scanned = table.scanned
    for minute in range(60):  # a tick a minute for an hour: no more scans
        watch.take_due(0, T0 + timedelta(hours=10, minutes=minute))
    assert table.scanned == scanned


def test_a_request_watched_again_with_a_later_deadline_is_due_only_then() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.watch("r", _request(0, T0))
    watch.watch("r", _request(0, T0 + timedelta(hours=3)))
    assert watch.take_due(0, T0 + timedelta(hours=1)) == []
    assert [request_id for request_id, _ in watch.take_due(0, T0 + timedelta(hours=3))] == ["r"]


def test_after_a_rebalance_the_index_is_rebuilt_from_the_table() -> None:
    table: dict[str, dict[str, Any]] = {}
    watch = OverdueWatch(table, AFTER)
    watch.take_due(0, T0)  # index built while the table was empty
    table["recovered"] = _request(0, T0)  # written by the changelog recovery of a new owner
    watch.reset()
    assert [request_id for request_id, _ in watch.take_due(0, T0)] == ["recovered"]


def test_a_request_is_found_by_its_alias_which_never_falls_due_and_goes_with_it() -> None:
    watch = OverdueWatch(CountingTable(), AFTER)
    watch.watch("req", _request(0, T0), alias="dok:100:od1")
    watch.watch("other", _request(0, T0))
    assert watch.request_of("dok:100:od1") == "req"
    assert watch.request_of("req") == "req" and watch.request_of("unknown") == "unknown"
    watch.reset()  # rebuilt from the table: the alias is no entry of its own
    due = [request_id for request_id, _ in watch.take_due(0, T0 + timedelta(days=30))]
    assert sorted(due) == ["other", "req"]
    watch.done(0, "req")  # reported overdue: its alias is forgotten with it
    assert "dok:100:od1" not in watch.table and "req" not in watch.table
    watch.watch("req2", _request(0, T0), alias="dok:100:od2")
    watch.answered("req2")
    assert dict(watch.table) == {"other": watch.table["other"]}


def test_an_alias_taken_over_by_a_newer_request_stays_with_the_newer() -> None:
    watch = OverdueWatch({}, AFTER)
    watch.watch("first", _request(0, T0), alias="dok:100:od1")
    watch.watch("second", _request(0, T0 + timedelta(hours=1)), alias="dok:100:od1")
    watch.answered("first")
    assert watch.request_of("dok:100:od1") == "second"
