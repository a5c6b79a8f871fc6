"""Routing reads only an event's envelope (``Codec.decode_head``): the facts it decides on must
be the same as those of the whole event, for every message type of the corpus."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.canonical import to_canonical
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import default_codec
from schemas.errors import MessageError
from schemas.xml import parse_message
from streams.routing.facts import facts_from_event
from tests.unit.avro.samples import DOMAIN_MESSAGES, canonical_event
from tests.unit.xml.conftest import CORPUS


@pytest.mark.parametrize(("label", "msg"), DOMAIN_MESSAGES, ids=[m[0] for m in DOMAIN_MESSAGES])
def test_the_envelope_gives_the_facts_of_the_whole_event(label: str, msg: Any) -> None:
    codec = default_codec()
    data = codec.encode(CANONICAL_EVENT, canonical_event(msg))
    whole = codec.decode_as(CANONICAL_EVENT, data)
    envelope = codec.decode_head(CANONICAL_EVENT, data, "payload")
    assert "payload" not in envelope
    assert facts_from_event(envelope) == facts_from_event(whole)


def _routable() -> list[str]:
    """The corpus messages that parse (the others are rejected before routing; test_corpus
    checks why)."""
    found = []
    for path in sorted(CORPUS.rglob("*.xml")):
        try:
            parse_message(path.read_bytes())
        except MessageError:
            continue
        found.append(str(path.relative_to(CORPUS)))
    return found


@pytest.mark.parametrize("rel", _routable())
def test_every_corpus_message_routes_on_the_same_facts_from_its_envelope(rel: str) -> None:
    codec = default_codec()
    msg = parse_message((CORPUS / rel).read_bytes())
    event = to_canonical(msg, patient_key="k" * 64, received_at=datetime(2026, 1, 1, tzinfo=UTC))
    data = codec.encode(CANONICAL_EVENT, event)
    whole = facts_from_event(codec.decode_as(CANONICAL_EVENT, data))
    assert facts_from_event(codec.decode_head(CANONICAL_EVENT, data, "payload")) == whole
