"""Write generated messages to files for the demo and for humans to read."""

from __future__ import annotations

from pathlib import Path

from streams.synthetic.registry import build_world
from streams.synthetic.traffic import scenario_traffic, traffic

__all__ = ["write_samples"]


def write_samples(out_dir: str | Path, seed: int = 1, count: int = 50) -> list[Path]:
    """Write the scripted scenarios, then mixed traffic, until ``count`` files exist.

    Files are named ``NNN-<scenario>-<type>.xml``; deterministic per (seed, count). Returns the
    paths written. The world is the ``small`` scale.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(seed, "small")
    written: list[Path] = []
    items = list(scenario_traffic(world, seed))
    if len(items) < count:
        items += list(traffic(world, seed, count - len(items)))
    for i, item in enumerate(items[:count]):
        path = out / f"{i:03d}-{item.scenario}-{item.expected.msg_type.lower()}.xml"
        path.write_bytes(item.data)
        written.append(path)
    return written
