from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import test_utils

from connectors.epj.http_ingest import HttpIngestConfig, HttpIngestSource, build_app
from connectors.sdk import Record, headers
from connectors.sdk.http import token_digest
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

TOKEN = "kattskinnet-secret-token"
OTHER = "other-municipality-token"


def config(**kw: object) -> HttpIngestConfig:
    return HttpIngestConfig.model_validate(
        {
            "topic": "raw.epj",
            "max_body_bytes": 64 * 1024,
            "senders": [
                {
                    "name": "kattskinnet",
                    "her_ids": [DIALOG_SENDER],
                    "token_sha256": token_digest(TOKEN),
                },
                {"name": "other", "her_ids": ["112374"], "token_sha256": token_digest(OTHER)},
            ],
            **kw,
        }
    )


class FakePublisher:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def __call__(self, record: Record) -> Record:
        self.records.append(record)
        return record


@pytest.fixture
def published() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
async def client(published: FakePublisher) -> AsyncIterator[test_utils.TestClient]:
    async with test_utils.TestClient(test_utils.TestServer(build_app(config(), published))) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}


async def test_accepted_message_gets_202_with_its_id(client, published) -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    resp = await client.post(
        "/messages", data=dialog("id-202"), headers={**auth(TOKEN), "traceparent": tp}
    )
    assert resp.status == 202
    assert (await resp.json()) == {"message_id": "id-202", "status": "accepted"}
    (record,) = published.records
    assert record.message_id == "id-202"
    assert record.header(headers.SENDER_HER_ID) == DIALOG_SENDER
    assert record.header(headers.TRACEPARENT) == tp


@pytest.mark.parametrize(
    "header", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}]
)
async def test_missing_or_wrong_token_is_401(client, published, header) -> None:
    resp = await client.post("/messages", data=dialog(), headers=header)
    assert resp.status == 401 and "WWW-Authenticate" in resp.headers
    assert published.records == []


async def test_one_municipality_cannot_send_as_another(client, published) -> None:
    resp = await client.post("/messages", data=dialog(), headers=auth(OTHER))
    assert resp.status == 403
    assert (await resp.json())["error"] == "E21"
    assert published.records == []


def _from_unit(unit_her_id: str) -> bytes:
    """The sample sent from a unit under the sending organisation (its HER-id nested)."""
    unit = (
        "<Organisation><OrganisationName>Legevakt</OrganisationName><Ident>"
        f'<Id>{unit_her_id}</Id><TypeId V="HER" DN="HER-id" S="2.16.578.1.12.4.1.1.9051"/>'
        "</Ident></Organisation>"
    )
    data = dialog()
    marker = b"<HealthcareProfessional>"
    return data.replace(marker, unit.encode() + marker, 1)


async def test_an_organisations_token_cannot_send_as_a_unit_it_does_not_list(
    client, published
) -> None:
    # the pipeline routes and answers as the most specific HER-id: another organisation's unit
    resp = await client.post("/messages", data=_from_unit("8143541"), headers=auth(TOKEN))
    assert resp.status == 403 and (await resp.json())["error"] == "E21"
    assert published.records == []


async def test_a_unit_the_token_lists_is_sent_as() -> None:
    listed = config(
        senders=[
            {
                "name": "kattskinnet",
                "her_ids": [DIALOG_SENDER, "8143541"],
                "token_sha256": token_digest(TOKEN),
            }
        ]
    )
    published = FakePublisher()
    async with test_utils.TestClient(test_utils.TestServer(build_app(listed, published))) as c:
        resp = await c.post("/messages", data=_from_unit("8143541"), headers=auth(TOKEN))
    assert resp.status == 202
    assert published.records[0].header(headers.SENDER_HER_ID) == "8143541"


async def test_unreadable_xml_is_400_with_the_apprec_code(client) -> None:
    resp = await client.post("/messages", data=b"<MsgHead", headers=auth(TOKEN))
    assert resp.status == 400 and (await resp.json())["error"] == "T01"


async def test_body_over_the_limit_is_413(client, published) -> None:
    resp = await client.post("/messages", data=b"<" + b"x" * 70_000, headers=auth(TOKEN))
    assert resp.status == 413
    assert published.records == []


async def test_a_type_not_accepted_is_422(published) -> None:
    app = build_app(config(accept_types=["SVAR_*"]), published)
    async with test_utils.TestClient(test_utils.TestServer(app)) as c:
        resp = await c.post("/messages", data=dialog(), headers=auth(TOKEN))
        assert resp.status == 422


async def test_duplicate_token_digests_are_a_config_problem() -> None:
    from connectors.sdk import ConnectorConfigError, validate_config

    raw = {
        "topic": "t",
        "senders": [
            {"name": "a", "her_ids": ["1"], "token_sha256": token_digest(TOKEN)},
            {"name": "b", "her_ids": ["2"], "token_sha256": token_digest(TOKEN)},
        ],
    }
    with pytest.raises(ConnectorConfigError, match="share a token"):
        validate_config("epj-http", HttpIngestConfig, raw)


async def test_while_nothing_is_taken_the_waiting_messages_are_bounded() -> None:
    source = HttpIngestSource(config(max_waiting=1))
    first = asyncio.ensure_future(source._submit(Record(b"<a/>", message_id="a")))
    await asyncio.sleep(0)
    with pytest.raises(asyncio.QueueFull):  # answered 503 "busy" by the app
        await source._submit(Record(b"<b/>", message_id="b"))
    first.cancel()  # its caller gave up (timed out: 503) and will send it again
    with contextlib.suppress(asyncio.CancelledError):
        await first
    assert await source.poll(10) == []  # the abandoned message is not published
