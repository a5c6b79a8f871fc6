"""The worker's operations endpoint on ``settings.metrics_port`` (0 = off), started with the app:

* ``GET /metrics`` — Prometheus text format (:mod:`streams.metrics`);
* ``GET /healthz`` — 200 while the app runs and has not crashed (liveness), ``"degraded"``
  with the outage line while the broker is unreachable;
* ``GET /readyz`` — 200 once the registry is loaded and partitions are assigned, else 503.

Its own small aiohttp server rather than Faust's web server (which binds to localhost only and
exists to serve Faust's own pages): this one binds all interfaces, so a cluster's probes and
Prometheus reach it, and carries no personal data. It also refreshes the consumer-lag gauge.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from connectors.sdk.logs import outage_detail
from streams.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)
LAG_INTERVAL_S = 5.0


class MetricsServer(Service):
    """Serves metrics, health and readiness for one pipeline worker."""

    def __init__(self, pipeline: Any, port: int, host: str = "0.0.0.0", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline = pipeline
        self.port = port
        self.host = host
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def on_start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        app.router.add_get("/readyz", self._ready)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("metrics endpoint started", extra={"port": self.bound_port})
        self.add_future(self._lag_loop())

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _lag_loop(self) -> None:
        while not self.should_stop:
            try:
                self.refresh_lag()
            except Exception:  # metrics must never take the worker down
                log.debug("consumer lag refresh failed", exc_info=True)
            await self.sleep(LAG_INTERVAL_S)

    def refresh_lag(self) -> None:
        app = self.pipeline.app
        prefix = self.pipeline.settings.topic_prefix
        monitor = app.monitor
        read = getattr(monitor, "tp_read_offsets", None) or {}
        committed = getattr(monitor, "tp_committed_offsets", None) or {}
        for tp in app.consumer.assignment():
            highwater = app.consumer.highwater(tp)
            if highwater is None:
                continue
            if tp in read:
                position = read[tp] + 1
            elif tp in committed:
                position = committed[tp]
            else:
                continue
            topic = tp.topic[len(prefix) :] if tp.topic.startswith(prefix) else tp.topic
            CONSUMER_LAG.labels(topic, str(tp.partition)).set(max(0, highwater - position))

    async def _metrics(self, request: web.Request) -> web.Response:
        self.refresh_lag()
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        app = self.pipeline.app
        crashed = bool(getattr(app, "_crash_reason", None))
        if crashed or app.should_stop:
            return web.json_response({"status": "failing"}, status=503)
        broker = outage_detail()
        if broker is not None:  # alive, and restarting it would not bring the broker back
            return web.json_response({"status": "degraded", "detail": broker})
        return web.json_response({"status": "ok"})

    async def _ready(self, request: web.Request) -> web.Response:
        feed_ready = self.pipeline.feed.ready.is_set()
        assigned = bool(self.pipeline.app.consumer.assignment())
        body = {"registry": feed_ready, "partitions_assigned": assigned}
        return web.json_response(body, status=200 if feed_ready and assigned else 503)
