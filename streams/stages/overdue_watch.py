"""Which open requests are due, without reading every one on every clock tick.

The ``open-requests`` table holds each request that awaits an answer (until its deadline,
``overdue_after`` after it was sent: 96 hours by default) and each answer that came before its
request (kept 2 x ``overdue_after``, then forgotten). A tick used to read the whole table, every
second, for every partition: at national volumes that is days of requests read again each
second. Here a min-heap per partition, in memory, orders the entries by when they fall due, so a
tick reads only those. It is rebuilt from the table the first time a partition is seen (after a
start or a rebalance: entries recovered from the changelog fall due too) and whenever entries no
longer in the table (answered requests) make up most of it.

Values are the table's JSON form (``partition``, and ``deadline`` for a request or
``answered_at`` for an early answer). A request an answer may find by its question key (see
:func:`streams.stages.route.question_key`) also has a pointer entry under that key
(``alias_of``: the request's id), which never falls due and goes with its request. Entries
change only while an event of their own partition is processed, so a Faust table writes each
change to the right changelog partition.
"""

from __future__ import annotations

import heapq
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Entry = dict[str, Any]


def is_early_answer(entry: Entry | None) -> bool:
    """An answer that arrived before its request (remembered so the request is not watched)."""
    return entry is not None and "answered_at" in entry


@dataclass
class OverdueWatch:
    table: MutableMapping[str, Entry]
    overdue_after: timedelta
    _heaps: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    _taken: dict[int, dict[str, tuple[float, str]]] = field(default_factory=dict)

    def watch(self, request_id: str, entry: Entry, alias: str | None = None) -> None:
        """Remember an open request (``entry`` has its ``partition`` and ``deadline``), also
        found by ``alias`` when given."""
        if alias:
            entry = {**entry, "alias": alias}
            self.table[alias] = {"partition": entry["partition"], "alias_of": request_id}
        self.table[request_id] = entry
        self._push(entry["partition"], request_id, entry)

    def request_of(self, answer_id: str) -> str:
        """The id of the request ``answer_id`` names: itself, or the request an alias points to."""
        entry = self.table.get(answer_id)
        if entry is not None and "alias_of" in entry:
            return str(entry["alias_of"])
        return answer_id

    def answered(self, request_id: str) -> None:
        """An open request was answered: forget it and its alias."""
        self._forget(request_id)

    def answered_early(self, request_id: str, partition: int, now: datetime) -> None:
        """Remember an answer whose request has not been seen yet."""
        entry = {"partition": partition, "answered_at": now.isoformat()}
        self.table[request_id] = entry
        self._push(partition, request_id, entry)

    def take_due(self, partition: int, now: datetime) -> list[tuple[str, Entry]]:
        """The entries of ``partition`` due by ``now``, earliest first: open requests past their
        deadline (to report overdue) and early answers kept long enough (to forget). Each stays
        in the table until :meth:`done`; one not done (its handling failed) is due again at the
        next call. Call while processing an event of ``partition``."""
        heap = self._heap(partition)
        for item in self._taken.pop(partition, {}).values():
            heapq.heappush(heap, item)
        taken = self._taken[partition] = {}
        cutoff = now.timestamp()
        out = []
        while heap and heap[0][0] <= cutoff:
            item = heapq.heappop(heap)
            request_id = item[1]
            entry = self.table.get(request_id)
            # gone (answered), written again since with a later time (its own heap entry), or
            # a second heap entry of the same request
            if entry is None or self._due_at(entry) > cutoff or request_id in taken:
                continue
            taken[request_id] = item
            out.append((request_id, entry))
        return out

    def done(self, partition: int, request_id: str) -> None:
        """A due entry was handled: forget it."""
        self._taken.get(partition, {}).pop(request_id, None)
        self._forget(request_id)

    def _forget(self, request_id: str) -> None:
        entry = self.table.get(request_id)
        if entry is None:
            return
        del self.table[request_id]
        alias = entry.get("alias")
        if alias and self.table.get(alias, {}).get("alias_of") == request_id:
            del self.table[alias]

    def reset(self) -> None:
        """Forget the heaps (after a rebalance: the table's partitions may have changed)."""
        self._heaps.clear()
        self._taken.clear()

    def _due_at(self, entry: Entry) -> float:
        if is_early_answer(entry):
            answered = datetime.fromisoformat(entry["answered_at"])
            return (answered + 2 * self.overdue_after).timestamp()
        return datetime.fromisoformat(entry["deadline"]).timestamp()

    def _push(self, partition: int, request_id: str, entry: Entry) -> None:
        heap = self._heaps.get(partition)
        if heap is None:  # built from the table, which already holds the entry
            self._heap(partition)
            return
        heapq.heappush(heap, (self._due_at(entry), request_id))
        if len(heap) > 2 * len(self.table) + 1024:  # mostly answered requests: start afresh
            del self._heaps[partition]

    def _heap(self, partition: int) -> list[tuple[float, str]]:
        heap = self._heaps.get(partition)
        if heap is None:
            heap = [
                (self._due_at(entry), request_id)
                for request_id, entry in list(self.table.items())
                if entry.get("partition") == partition and "alias_of" not in entry
            ]
            heapq.heapify(heap)
            self._heaps[partition] = heap
        return heap
