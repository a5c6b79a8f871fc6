"""One pipeline hop with no work in it: consume a topic, produce every record to another.

``python -m benchmarks.hop_forwarder raw|faust`` (topics from ``HOP_IN`` / ``HOP_OUT``, everything
else from the ``SAMFLYT_*`` environment of a worker). ``faust`` is built exactly as a pipeline
worker is (``create_app``, samflyt's Faust patches, the same logging and event loop) with one
agent that sends each event on; ``raw`` does the same with aiokafka directly, a batch at a time.
The difference between the two is what Faust's per-record machinery costs a hop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer

from connectors.sdk.logs import configure_logging
from streams.app import create_app
from streams.harness import producer_for
from streams.principals import ADMIN
from streams.settings import Settings, load_settings
from streams.worker import use_event_loop


def run_faust(settings: Settings, source: str, target: str) -> None:
    app = create_app(settings, web_port=0)
    out = app.topic(target)

    @app.agent(app.topic(source), name="forward")  # type: ignore[untyped-decorator]
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await out.send(key=event.key, value=event.value, headers=event.headers)

    faust.Worker(app, loglevel="INFO", quiet=True).execute_from_commandline()


async def run_raw(settings: Settings, source: str, target: str) -> None:
    consumer = AIOKafkaConsumer(
        source,
        **settings.kafka(ADMIN).options(),  # the hop's own topics, outside the catalogue
        group_id=settings.app_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=settings.max_poll_records,
    )
    producer = producer_for(settings, ADMIN)  # the pipeline's producer settings
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            sent = [
                await producer.send(target, r.value, key=r.key, headers=list(r.headers))
                for records in batch.values()
                for r in records
            ]
            if sent:
                await asyncio.gather(*sent)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "faust"
    settings = load_settings()
    configure_logging("INFO")
    use_event_loop(settings.event_loop)
    source, target = os.environ["HOP_IN"], os.environ["HOP_OUT"]
    if mode == "raw":
        asyncio.run(run_raw(settings, source, target))
    else:
        run_faust(settings, source, target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
