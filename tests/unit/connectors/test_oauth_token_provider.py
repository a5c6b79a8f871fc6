"""OAUTHBEARER tokens by the client credentials grant, from a real HTTP token endpoint."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.kafka_security import ClientCredentialsTokenProvider


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict[str, str]]]]:
    asked: list[dict[str, str]] = []

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            asked.append(dict(urllib.parse.parse_qsl(body)))
            answer = json.dumps({"access_token": f"token-{len(asked)}", "expires_in": 300})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token", asked
    server.shutdown()
    server.server_close()


async def test_a_token_is_fetched_with_the_client_credentials_and_reused(
    endpoint: tuple[str, list[dict[str, str]]],
) -> None:
    url, asked = endpoint
    provider = ClientCredentialsTokenProvider(url, "samflyt-worker", "s3cret", scope="kafka")
    assert await provider.token() == "token-1"
    assert await provider.token() == "token-1"  # still valid: not asked again
    assert asked == [{"grant_type": "client_credentials", "client_id": "samflyt-worker",
                      "client_secret": "s3cret", "scope": "kafka"}]


def test_oauthbearer_settings_give_every_client_the_token_provider() -> None:
    from streams.settings import load_settings

    settings = load_settings(
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_oauth_token_url="https://idp.example/token",
        kafka_oauth_client_id="samflyt-worker",
        kafka_oauth_client_secret="s3cret",
    )
    options = settings.kafka("samflyt-worker").options()
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(options["sasl_oauth_token_provider"], ClientCredentialsTokenProvider)
    assert "sasl_plain_password" not in options
