"""Posting a record to an HTTP endpoint (the epj-delivery and national-webhook sinks)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from connectors.sdk import BadRecordError, Record
from connectors.sinks._common import post_record


async def test_a_redirect_is_not_followed_and_dead_letters_the_record() -> None:
    seen: list[tuple[str, int]] = []

    async def moved(request: web.Request) -> web.Response:
        seen.append((f"{request.method} {request.path}", len(await request.read())))
        raise web.HTTPMovedPermanently("/v2/inbox")

    async def status_page(request: web.Request) -> web.Response:
        seen.append((f"{request.method} {request.path}", 0))
        return web.Response(text="inbox v2")  # what a followed redirect would have found

    app = web.Application()
    app.router.add_post("/inbox", moved)
    app.router.add_get("/v2/inbox", status_page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        record = Record(b"<MsgHead/>", key=b"81001", headers=(("samflyt.message-id", b"m1"),))
        async with aiohttp.ClientSession() as session:
            error = await post_record(
                session, f"http://127.0.0.1:{port}/inbox", record, timeout=5
            )
    finally:
        await runner.cleanup()
    assert isinstance(error, BadRecordError) and "/v2/inbox" in str(error)
    assert seen == [("POST /inbox", len(b"<MsgHead/>"))]  # no body-less GET after it
