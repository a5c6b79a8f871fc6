"""Duplicate detection over a window: which record first carried a sender's message id, for as
long as a sender may plausibly send it again (``Settings.dedup_window``, 7 days by default).

Without a window the table remembered every message id ever accepted, and a worker's memory and
its changelog grew with all traffic since the first day. Entries are kept in the table (a Faust
table, or any mutable mapping in tests) as ``"topic:partition:offset@epoch-seconds"``; an index
per partition, in memory, says which to forget first. It is rebuilt from the table the first
time a partition is seen (after a start or a rebalance), so entries recovered from the changelog
expire too. Entries are forgotten only while an event of their own partition is processed, so
the deletion lands in the changelog partition the entry was written to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import MutableMapping
from dataclasses import dataclass, field


def _split(value: str) -> tuple[str, float | None]:
    record, _, stamp = value.rpartition("@")
    if not record:  # written before the window existed: no time
        return value, None
    try:
        return record, float(stamp)
    except ValueError:
        return value, None


def _partition_of(record: str) -> int | None:
    try:
        return int(record.rsplit(":", 2)[-2])
    except (IndexError, ValueError):
        return None


@dataclass
class DedupWindow:
    table: MutableMapping[str, str]
    window_s: float
    _due: dict[int, deque[tuple[float, str]]] = field(default_factory=dict)

    def first_record(self, key: str) -> str | None:
        """The record (``topic:partition:offset``) that first carried ``key``, if remembered."""
        value = self.table.get(key)
        return None if value is None else _split(value)[0]

    def remember(self, key: str, record: str, partition: int, now: float) -> None:
        stamp = float(round(now))  # whole seconds: the value's stamp and the index's are equal
        self._index(partition, now).append((stamp, key))
        self.table[key] = f"{record}@{stamp:.0f}"

    def forget_expired(self, partition: int, now: float) -> int:
        """Forget the entries of ``partition`` older than the window; how many were forgotten.

        Call while processing an event of ``partition`` (a Faust table writes the deletion to
        the changelog partition of the current event)."""
        due = self._index(partition, now)
        cutoff = now - self.window_s
        forgotten = 0
        while due and due[0][0] < cutoff:
            stamp, key = due.popleft()
            value = self.table.get(key)
            if value is None:
                continue
            written = _split(value)[1]
            # skipped when remembered again since (its newer index entry forgets it later)
            if written is None or written == stamp:
                del self.table[key]
                forgotten += 1
        return forgotten

    def reset(self) -> None:
        """Forget the indexes (after a rebalance: the table's partitions may have changed)."""
        self._due.clear()

    def _index(self, partition: int, now: float) -> deque[tuple[float, str]]:
        due = self._due.get(partition)
        if due is None:
            found = []
            for key, value in list(self.table.items()):
                record, stamp = _split(value)
                if _partition_of(record) == partition:
                    found.append((now if stamp is None else stamp, key))
            due = self._due[partition] = deque(sorted(found))
        return due
