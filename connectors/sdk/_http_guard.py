"""What keeps one caller from starving the others on the HTTP source: a cap on open
connections, a concurrency quota per sender, and parsing in thread lanes by body size so a few
large bodies never make a small one wait (nor the event loop)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["CappedConnections", "ParseLanes", "SenderQuota", "parse_lane"]

log = logging.getLogger("connectors.security")

_BUSY_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class SenderQuota:
    """At most ``limit`` requests of one sender in progress at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._active: Counter[str] = Counter()

    def try_acquire(self, sender: str) -> bool:
        if self._active[sender] >= self.limit:
            return False
        self._active[sender] += 1
        return True

    def release(self, sender: str) -> None:
        self._active[sender] -= 1
        if self._active[sender] <= 0:
            del self._active[sender]


def parse_lane(body_bytes: int, small_body_bytes: int) -> str:
    """The lane a body is parsed in: ``small`` ones never queue behind ``large`` ones."""
    return "small" if body_bytes <= small_body_bytes else "large"


class ParseLanes:
    """One thread pool per lane; the parse runs there, the event loop only awaits it."""

    def __init__(self, workers: int, small_body_bytes: int) -> None:
        self.small_body_bytes = small_body_bytes
        self._pools = {
            "small": ThreadPoolExecutor(workers, thread_name_prefix="parse-small"),
            "large": ThreadPoolExecutor(workers, thread_name_prefix="parse-large"),
        }

    def pool_for(self, body_bytes: int) -> ThreadPoolExecutor:
        return self._pools[parse_lane(body_bytes, self.small_body_bytes)]

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)


class _Counted(asyncio.Protocol):
    """Passes everything to the HTTP protocol; tells the cap when the connection opens and
    closes, and answers 503 and closes at once when the cap is reached."""

    def __init__(self, cap: CappedConnections) -> None:
        self._cap = cap
        self._inner: asyncio.Protocol | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._cap.admit(transport):
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(_BUSY_ANSWER)
            transport.close()
            return
        self._inner = self._cap.make_protocol()
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            self._cap.release()
            inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class CappedConnections:
    """A protocol factory around the HTTP server's: at most ``limit`` connections open; the
    one over it is answered 503 and closed (logged once until the count drops again)."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], limit: int) -> None:
        self._factory = factory
        self.limit = limit
        self.open = 0
        self._reported = False

    def __call__(self) -> asyncio.Protocol:
        return _Counted(self)

    def make_protocol(self) -> asyncio.Protocol:
        return self._factory()

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        if self.open >= self.limit:
            if not self._reported:
                self._reported = True
                peer = transport.get_extra_info("peername")
                log.warning(
                    "security: connection refused, connection cap reached",
                    extra={
                        "event": "ingress.connection_cap",
                        "limit": self.limit,
                        "peer": peer[0] if isinstance(peer, tuple) else None,
                    },
                )
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1
        if self.open < self.limit:
            self._reported = False
