"""Inputs generated before any timing: a base pool of synthetic traffic, relabelled with fresh
message ids for every pass, so one run can offer any number of distinct inputs cheaply."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from streams.synthetic import SyntheticWorld, TrafficItem, traffic


def generate(
    world: SyntheticWorld, count: int, *, seed: int = 1, target_size: int | None = 5000
) -> list[TrafficItem]:
    return list(traffic(world, seed=seed, count=count, target_size=target_size))[:count]


_UUID = re.compile(rb"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def relabel(item: TrafficItem, cycle: int, pool_ids: frozenset[str] = frozenset()) -> TrafficItem:
    """The same message under a new MsgId (first 8 hex digits of the UUID := ``cycle``).

    Every other message id of the pool it mentions (the request an answer refers to, the
    conversation it continues) is relabelled the same way, so conversations stay whole within a
    pass: otherwise each answer refers to a request of the first pass, and every pass after it
    leaves its requests open and its answers waiting for a request (the route stage's open
    requests table then grows by the pass, which real traffic does not do)."""
    own = item.expected.msg_id
    prefix = f"{cycle % 0xFFFFFFFF:08x}"

    def new(value: str) -> str:
        return prefix + value[8:] if value == own or value in pool_ids else value

    def swap(match: re.Match[bytes]) -> bytes:
        return new(match.group().decode()).encode()

    expected = replace(
        item.expected,
        msg_id=new(own),
        **{
            name: new(value)
            for name in ("duplicate_of", "answers", "document_id")
            if isinstance(value := getattr(item.expected, name), str)
        },
    )
    return TrafficItem(item.scenario, _UUID.sub(swap, item.data), expected)


class Supply:
    """Hands out distinct inputs: the pool, then the pool relabelled, pass after pass."""

    def __init__(self, pool: Sequence[TrafficItem], first_cycle: int = 1) -> None:
        self.pool = pool
        self.ids = frozenset(i.expected.msg_id for i in pool)
        self._it = self._items(first_cycle)

    def _items(self, cycle: int) -> Iterator[TrafficItem]:
        while True:
            for item in self.pool:
                yield relabel(item, cycle, self.ids)
            cycle += 1

    def take(self, n: int) -> list[TrafficItem]:
        return [next(self._it) for _ in range(n)]
