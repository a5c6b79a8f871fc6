"""The HTTP ingest serves TLS itself and, with client certificates, knows the sending
organisation by the organisation number its virksomhetssertifikat carries."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.epj.http_ingest import HttpIngestConfig
from connectors.sdk import ConnectorConfigError, validate_config
from connectors.sdk._http_auth import AuthRefusal, identify, organisation_number
from connectors.sdk.http import Sender, token_digest
from tests.security.certificates import (
    Pair,
    client_certificate,
    client_context,
    make_ca,
    server_certificate,
)
from tests.security.ingest import TOKEN, bearer, ingest_config, running
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

KATTSKINNET_ORG = "123456785"
OTHER_ORG = "900000014"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d)
    rogue = make_ca(d, "rogue-ca")
    return {
        "ca": ca,
        "server": server_certificate(ca, d),
        # organizationIdentifier as issuers write it today, serialNumber as older ones do
        "kattskinnet": client_certificate(
            ca,
            d,
            "kattskinnet",
            f"/C=NO/O=Kattskinnet kommune/organizationIdentifier=NTRNO-{KATTSKINNET_ORG}"
            "/CN=Kattskinnet EPJ",
        ),
        "other": client_certificate(
            ca, d, "other", f"/C=NO/O=Annen kommune/serialNumber={OTHER_ORG}/CN=Annen EPJ"
        ),
        "unlisted": client_certificate(
            ca, d, "unlisted", "/C=NO/O=Ukjent AS/serialNumber=900000022/CN=Ukjent"
        ),
        "rogue": client_certificate(
            rogue,
            d,
            "rogue",
            f"/C=NO/O=Falsk/organizationIdentifier=NTRNO-{KATTSKINNET_ORG}/CN=Falsk",
        ),
    }


def tls_settings(pki: dict[str, Pair], *, mutual: bool) -> dict[str, Any]:
    tls: dict[str, Any] = {"cert_file": str(pki["server"].cert), "key_file": str(pki["server"].key)}
    if mutual:
        tls["client_ca_file"] = str(pki["ca"].cert)
    return {"tls": tls}


def certified_senders() -> dict[str, Any]:
    return {
        "senders": [
            {
                "name": "kattskinnet",
                "her_ids": [DIALOG_SENDER],
                "organisation_number": KATTSKINNET_ORG,
            },
            {"name": "other", "her_ids": ["112374"], "organisation_number": OTHER_ORG},
        ]
    }


async def _post(url: str, context: ssl.SSLContext | None, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=dialog(), headers=headers, ssl=context if context is not None else False
        ) as resp,
    ):
        return resp.status


async def test_the_ingest_serves_https_and_no_plaintext(pki: dict[str, Pair]) -> None:
    async with running(ingest_config(**tls_settings(pki, mutual=False))) as (source, published):
        port = source.bound_port
        status = await _post(
            f"https://127.0.0.1:{port}/messages", client_context(pki["ca"]), bearer()
        )
        assert status == 202
        with pytest.raises(aiohttp.ClientError):  # plain HTTP on the TLS port gets no answer
            await _post(f"http://127.0.0.1:{port}/messages", None, bearer())
        assert len(published.on("raw.epj")) == 1


async def test_a_client_certificate_names_the_sender_by_its_organisation_number(
    pki: dict[str, Pair],
) -> None:
    config = ingest_config(**tls_settings(pki, mutual=True), **certified_senders())
    async with running(config) as (source, published):
        url = f"https://127.0.0.1:{source.bound_port}/messages"
        plain = {"Content-Type": "application/xml"}
        # its own certificate, no token: sent as its HER-id
        assert await _post(url, client_context(pki["ca"], pki["kattskinnet"]), plain) == 202
        # another municipality's certificate cannot send as Kattskinnet's HER-id
        assert await _post(url, client_context(pki["ca"], pki["other"]), plain) == 403
        # a certificate of an organisation that is not a sender
        assert await _post(url, client_context(pki["ca"], pki["unlisted"]), plain) == 403
        # no certificate, or one of another CA with the right number: no TLS session at all
        for context in (client_context(pki["ca"]), client_context(pki["ca"], pki["rogue"])):
            with pytest.raises(aiohttp.ClientError):
                await _post(url, context, bearer())
        assert len(published.on("raw.epj")) == 1


def _subject(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"subject": tuple(((name, value),) for name, value in pairs)}


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        (_subject(("organizationIdentifier", "NTRNO-123456785")), "123456785"),
        (_subject(("serialNumber", "123456785"), ("commonName", "x")), "123456785"),
        (_subject(("serialNumber", "NTRNO-123456785")), "123456785"),
        (_subject(("serialNumber", "123456789")), None),  # check digit wrong
        (_subject(("serialNumber", "12345678")), None),
        (_subject(("organizationIdentifier", "VATNO-123456785")), None),
        (_subject(("commonName", "123456785")), None),  # only the organisation's attributes
        (None, None),
    ],
)
def test_the_organisation_number_is_read_from_the_subject(
    certificate: dict[str, Any] | None, expected: str | None
) -> None:
    assert organisation_number(certificate) == expected


def test_a_sender_listing_a_token_and_a_certificate_needs_both() -> None:
    both = Sender(
        name="k",
        her_ids=["1"],
        token_sha256=token_digest(TOKEN),
        organisation_number=KATTSKINNET_ORG,
    )
    assert identify([both], token=TOKEN, certified_organisation=KATTSKINNET_ORG) is both
    for token, org in ((None, KATTSKINNET_ORG), (TOKEN, None), ("wrong", KATTSKINNET_ORG)):
        refused = identify([both], token=token, certified_organisation=org)
        assert isinstance(refused, AuthRefusal) and refused.status == 401


def test_certificate_senders_need_mutual_tls_configured() -> None:
    raw = {"topic": "t", **certified_senders()}
    with pytest.raises(ConnectorConfigError, match="client_ca_file"):
        validate_config("epj-http", HttpIngestConfig, raw)


def test_an_invalid_organisation_number_is_a_config_problem(tmp_path: Path) -> None:
    raw = {
        "topic": "t",
        "senders": [{"name": "x", "her_ids": ["1"], "organisation_number": "123456789"}],
    }
    with pytest.raises(ConnectorConfigError, match="organisation"):
        validate_config("epj-http", HttpIngestConfig, raw)
