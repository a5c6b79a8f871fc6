"""Inputs generated before any timing: a base pool of synthetic traffic, relabelled with fresh
message ids for every pass, so one run can offer any number of distinct inputs cheaply."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from streams.synthetic import SyntheticWorld, TrafficItem, traffic


def generate(
    world: SyntheticWorld, count: int, *, seed: int = 1, target_size: int | None = 5000
) -> list[TrafficItem]:
    return list(traffic(world, seed=seed, count=count, target_size=target_size))[:count]


def relabel(item: TrafficItem, cycle: int) -> TrafficItem:
    """The same message under a new MsgId (first 8 hex digits of the UUID := ``cycle``)."""
    old = item.expected.msg_id
    new = f"{cycle % 0xFFFFFFFF:08x}{old[8:]}"
    return TrafficItem(
        item.scenario,
        item.data.replace(old.encode(), new.encode()),
        replace(item.expected, msg_id=new),
    )


class Supply:
    """Hands out distinct inputs: the pool, then the pool relabelled, pass after pass."""

    def __init__(self, pool: Sequence[TrafficItem], first_cycle: int = 1) -> None:
        self.pool = pool
        self._it = self._items(first_cycle)

    def _items(self, cycle: int) -> Iterator[TrafficItem]:
        while True:
            for item in self.pool:
                yield relabel(item, cycle)
            cycle += 1

    def take(self, n: int) -> list[TrafficItem]:
        return [next(self._it) for _ in range(n)]
