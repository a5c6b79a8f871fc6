"""Deterministic synthetic registries and traffic for the demo, the tests and the benchmarks.

* :func:`build_world` — municipalities, parties (HER-ids), GPs, hospitals, national services and
  Tenor-scheme patients with residence, GP, care relationships, proxies and opt-outs.
* :mod:`streams.synthetic.messages` — builders of real-looking XML for every message type.
* :func:`scenario_traffic` / :func:`traffic` — ``(scenario, data, expected)`` items; ``expected``
  is the oracle (:class:`Expected`) derived from the world, not from the pipeline.
* :func:`write_samples` — files for humans; a bundled set lives in ``samples/``.
"""

from __future__ import annotations

from streams.synthetic._emit import TrafficItem
from streams.synthetic.expected import Expected, ExpectedRecipient, Reason
from streams.synthetic.registry import build_world, load_municipalities
from streams.synthetic.sample_files import write_samples
from streams.synthetic.traffic import SCENARIOS, scenario_traffic, traffic
from streams.synthetic.world import Municipality, SyntheticPatient, SyntheticWorld

__all__ = [
    "SCENARIOS",
    "Expected",
    "ExpectedRecipient",
    "Municipality",
    "Reason",
    "SyntheticPatient",
    "SyntheticWorld",
    "TrafficItem",
    "build_world",
    "load_municipalities",
    "scenario_traffic",
    "traffic",
    "write_samples",
]
