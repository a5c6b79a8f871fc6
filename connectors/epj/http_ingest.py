"""EPJ HTTP ingest: ``POST`` an XML message, get ``202`` with its message id once the broker has
it, or a 4xx with the reason — the SDK's :class:`~connectors.sdk.http.HttpSource` with the
checks of a health message.

Checks, in order: the caller's token or client certificate (401/403), body size (413) — both
the SDK's — then XML and envelope (400 with the AppRec code), message type (422), sender HER-id
in the envelope against the authenticated organisation (403: one municipality cannot send as
another). Refusals carry the code and a generic sentence: the parser's text can quote a tag or
an id from the message, and the sender already has the message. Then the record is handed
to the runner; the response waits until it is acknowledged and committed (a retry with the
same message id is answered 202 again and not published twice; one the broker refused is
answered with its error, 413 when too large). If that takes longer than ``ack_timeout`` the
answer is 503 with ``Retry-After`` — the sender retries, and dedup makes that safe.
"""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web
from pydantic import Field

from .._envelope import accepts, read_envelope, to_record
from ..sdk import BadRecordError, Record
from ..sdk.http import HttpSource, HttpSourceConfig, Sender, Submit, problem
from ..sdk.http import build_app as build_http_app
from ._auth import permitted_sender

__all__ = ["HttpIngestConfig", "HttpIngestSource", "build_app", "check_message"]


class HttpIngestConfig(HttpSourceConfig):
    accept_types: list[str] | None = Field(None, description="message-type globs; None: all")


def check_message(config: HttpIngestConfig, data: bytes, sender: Sender) -> Record | web.Response:
    """The raw-topic record of a posted message, or the response refusing it."""
    try:
        envelope = read_envelope(data)
    except BadRecordError as exc:
        return problem(400, exc.code)
    if not accepts(config.accept_types, envelope.msg_type):
        return problem(422, "T10")
    her_id = permitted_sender(sender.her_ids, envelope.sender_her_ids)
    if her_id is None:
        return problem(403, "E21", why="envelope sender HER-id not listed for this sender")
    return to_record(data, envelope, authenticated_sender=her_id)


def build_app(config: HttpIngestConfig, submit: Submit) -> web.Application:
    """The aiohttp application; ``submit`` returns the record once it is committed."""
    return build_http_app(config, lambda data, sender: check_message(config, data, sender), submit)


class HttpIngestSource(HttpSource[HttpIngestConfig]):
    """Serves ``POST {path}``; each accepted message becomes a record for the runner."""

    name: ClassVar[str] = "epj-http"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[HttpIngestConfig]] = HttpIngestConfig

    def check(self, body: bytes, sender: Sender) -> Record | web.Response:
        return check_message(self.config, body, sender)
