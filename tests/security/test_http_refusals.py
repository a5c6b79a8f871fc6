"""Refusals at the HTTP ingest tell the caller a code and a generic sentence — never what the
parser said, which can quote an id placed in a tag — and are logged as security events that
say who, from where and why, without the token or a national id."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from tests.security.ingest import OTHER_TOKEN, TOKEN, bearer, ingest_config, running
from tests.unit.connectors.messages import dialog

NATIONAL_ID = "14867049151"  # synthetic


def security_events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", "") == "ingress.refused"]


async def test_401_403_413_are_security_events_without_token_or_national_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with running(ingest_config(max_body_bytes=64 * 1024)) as (source, _):
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with aiohttp.ClientSession() as session:
            for headers, data, expected in (
                (bearer("not-a-token-we-know"), dialog(), 401),
                (bearer(OTHER_TOKEN), dialog(), 403),  # sends as Kattskinnet
                (bearer(TOKEN), b"<" + NATIONAL_ID.encode() * 7000, 413),
            ):
                async with session.post(url, data=data, headers=headers) as resp:
                    assert resp.status == expected
    events = security_events(caplog)
    assert [(e.status, e.sender) for e in events] == [  # type: ignore[attr-defined]
        (401, "unauthenticated"),
        (403, "other"),
        (413, "kattskinnet"),
    ]
    for event in events:
        assert event.peer == "127.0.0.1" and event.why  # type: ignore[attr-defined]
        line = json.dumps(event.__dict__, default=str)
        assert "not-a-token-we-know" not in line and TOKEN not in line
        assert NATIONAL_ID not in line


@pytest.mark.parametrize(
    ("data", "settings", "status"),
    [
        # lxml's message names the tag: "Opening and ending tag mismatch: x14867049151 ..."
        (f"<MsgHead><x{NATIONAL_ID}></MsgHead>".encode(), {}, 400),
        # the type of a message that is not accepted here, an id in its place
        (
            dialog().replace(b'V="DIALOG_HELSEFAGLIG"', f'V="{NATIONAL_ID}"'.encode()),
            {"accept_types": ["SVAR_*"]},
            422,
        ),
    ],
)
async def test_error_answers_carry_a_code_and_no_text_of_the_message(
    data: bytes, settings: dict[str, object], status: int
) -> None:
    async with running(ingest_config(**settings)) as (source, _):
        url = f"http://127.0.0.1:{source.bound_port}/messages"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=data, headers=bearer()) as resp,
        ):
            assert resp.status == status
            text = await resp.text()
    assert NATIONAL_ID not in text
    body = json.loads(text)
    assert set(body) == {"error", "reason"} and body["error"]
