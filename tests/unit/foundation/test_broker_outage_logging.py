"""A broker outage is one samflyt line every 30 s per process, not the Kafka client's ~4,000
lines a second, and health says DEGRADED meanwhile (issues 17 and 25)."""

from __future__ import annotations

import json
import logging
import logging.config
import time
from collections.abc import Iterator, Sequence

import pytest

from connectors.positions import MemoryPositionStore
from connectors.sdk import HealthStatus, logs
from connectors.sdk.logs import BrokerOutage, BrokerOutageFilter, logging_config
from connectors.sdk.testing import MemoryPublisher
from connectors.source_runner import SourceRunner
from tests.unit.connectors.test_source_runner import ListSource, config

Line = tuple[str, str, tuple[object, ...]]  # logger, template, arguments
NODE_DOWN: Line = ("aiokafka.client", "Unable connect to node with id %s: %s", (1, "refused"))
METADATA: Line = ("aiokafka.client", "Unable to update metadata from %s", ([1],))


def test_an_outage_is_said_once_then_at_most_every_30_seconds() -> None:
    outage = BrokerOutage(every_s=30, quiet_s=5)
    said = [t for t in (x * 0.01 for x in range(6000)) if outage.failure(1000 + t) is not None]
    # 60 s of failures every 10 ms: said at 0 s, 30 s; 5,998 held back
    assert said == [0.0, pytest.approx(30.0)]
    assert outage.unreachable(1059.99) and not outage.unreachable(1066.0)


def test_after_the_broker_is_back_a_new_outage_is_said_at_once() -> None:
    outage = BrokerOutage(every_s=30, quiet_s=5)
    assert outage.failure(100.0) == 0
    assert outage.failure(101.0) is None
    assert outage.failure(120.0) == 0  # 19 s without a failure: a new outage
    assert outage.since == 120.0


def _filtered(lines: Sequence[Line], clock: Iterator[float]) -> list[logging.LogRecord]:
    keep = BrokerOutageFilter(BrokerOutage(), clock=lambda: next(clock), waiting=lambda: 42)
    records = [
        logging.LogRecord(name, logging.ERROR, "client.py", 1, msg, args, None)
        for name, msg, args in lines
    ]
    return [r for r in records if keep.filter(r)]


def test_the_client_s_outage_lines_become_one_samflyt_line_saying_what_waits() -> None:
    noisy = [NODE_DOWN, METADATA] * 2000
    passed = _filtered(noisy, iter(1_700_000_000 + n * 0.00025 for n in range(len(noisy))))
    assert len(passed) == 1
    line = passed[0]
    assert line.name == "samflyt.broker" and line.levelname == "WARNING"
    assert line.getMessage().startswith("broker unreachable since 2023-11-14T22:13:20")
    assert line.getMessage().endswith("42 records waiting")


def test_every_other_line_passes_unchanged() -> None:
    ordinary = [
        ("aiokafka.consumer.group_coordinator", "Heartbeat failed: %r", ("Rebalancing",)),
        ("streams.worker", "Unable connect to the registry", ()),
    ]
    passed = _filtered(ordinary, iter([0.0, 0.0]))
    assert [r.name for r in passed] == ["aiokafka.consumer.group_coordinator", "streams.worker"]


@pytest.mark.usefixtures("restored_logging")
def test_the_process_logging_holds_back_the_client_s_outage_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "BROKER_OUTAGE", BrokerOutage())
    logging.config.dictConfig(logging_config("INFO"))
    for _ in range(500):
        for name, msg, args in (NODE_DOWN, METADATA):
            logging.getLogger(name).error(msg, *args)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [entry["logger"] for entry in lines] == ["samflyt.broker"]
    assert logs.outage_detail() is not None  # what health checks report meanwhile


async def test_a_source_runner_is_degraded_while_the_broker_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outage = BrokerOutage()
    monkeypatch.setattr(logs, "BROKER_OUTAGE", outage)
    source = ListSource(config())
    runner = SourceRunner(source, MemoryPublisher(), MemoryPositionStore())
    await source.start({})
    assert (await runner.health()).status is HealthStatus.OK
    outage.failure(time.time())
    health = await runner.health()
    assert health.status is HealthStatus.DEGRADED
    assert health.detail.startswith("broker unreachable since")
