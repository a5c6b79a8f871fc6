"""One caller cannot hold the HTTP ingest: a request head or body that does not arrive in time
is cut off, open connections are capped, each sender has a quota of requests in progress, and
large bodies are parsed off the event loop so a small request is not kept waiting."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp

from tests.security.ingest import OTHER_TOKEN, TOKEN, bearer, ingest_config, running
from tests.unit.connectors.messages import dialog

WIDE_TREE = (
    b'<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">'
    + b"<a>1</a>" * 900_000
    + b"</MsgHead>"
)  # 6.9 MiB, well-formed, authenticated: only parsing can refuse it


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before it closed the connection (fails if it stays open)."""
    return await asyncio.wait_for(reader.read(), seconds)


async def test_a_connection_whose_request_head_does_not_arrive_is_closed() -> None:
    async with running(ingest_config(header_timeout=0.5)) as (source, _):
        silent = await asyncio.open_connection("127.0.0.1", source.bound_port)
        partial = await asyncio.open_connection("127.0.0.1", source.bound_port)
        partial[1].write(b"POST /messages HTTP/1.1\r\nHost: ingest\r\nX-Slow: ")
        await partial[1].drain()
        for reader, writer in (silent, partial):
            await _closed_within(reader, 3)
            writer.close()


async def test_a_body_that_does_not_arrive_in_time_is_answered_408_and_closed() -> None:
    async with running(ingest_config(body_timeout=0.5)) as (source, published):
        reader, writer = await asyncio.open_connection("127.0.0.1", source.bound_port)
        writer.write(
            b"POST /messages HTTP/1.1\r\nHost: ingest\r\nContent-Length: 10000\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
            + dialog()[:100]
        )
        await writer.drain()
        answer = await _closed_within(reader, 3)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408")
        assert published.on("raw.epj") == []


async def test_connections_over_the_cap_are_refused_and_the_others_served() -> None:
    async with running(ingest_config(max_connections=3, header_timeout=30)) as (source, _):
        held = [await asyncio.open_connection("127.0.0.1", source.bound_port) for _ in range(3)]
        reader, writer = await asyncio.open_connection("127.0.0.1", source.bound_port)
        assert (await _closed_within(reader, 3)).startswith(b"HTTP/1.1 503")
        writer.close()
        held.pop()[1].close()  # one goes away: room for a sender again
        await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=dialog(), headers=bearer()) as resp,
        ):
            assert resp.status == 202
        for _, w in held:
            w.close()


async def test_a_sender_over_its_quota_is_answered_429_and_others_are_not_held() -> None:
    config = ingest_config(max_requests_per_sender=1, body_timeout=5)
    async with running(config) as (source, _):
        # one request of Kattskinnet's in progress: its body is still coming
        _, writer = await asyncio.open_connection("127.0.0.1", source.bound_port)
        writer.write(
            b"POST /messages HTTP/1.1\r\nHost: ingest\r\nContent-Length: 10000\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        await writer.drain()
        await asyncio.sleep(0.2)
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=dialog(), headers=bearer(TOKEN)) as resp:
                assert resp.status == 429 and "Retry-After" in resp.headers
            other = dialog(sender_her_id="112374")
            async with session.post(url, data=other, headers=bearer(OTHER_TOKEN)) as resp:
                assert resp.status == 202
        writer.close()


async def test_large_bodies_being_parsed_do_not_keep_a_small_request_waiting() -> None:
    async with running(ingest_config()) as (source, _):
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with aiohttp.ClientSession() as session:

            async def post(data: bytes) -> float:
                started = time.perf_counter()
                body = io.BytesIO(data)
                async with session.post(url, data=body, headers=bearer()) as resp:
                    await resp.read()
                return time.perf_counter() - started

            alone = await post(dialog())
            large = [asyncio.ensure_future(post(WIDE_TREE)) for _ in range(4)]
            await asyncio.sleep(0.3)  # the large bodies are received and being parsed
            small = await post(dialog())
            await asyncio.gather(*large)
        assert small < max(0.5, 10 * alone), (small, alone)
