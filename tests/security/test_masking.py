"""Ids are hidden completely in what goes back to senders: error details, parser text, answers."""

from __future__ import annotations

import json

import pytest

from connectors.epj.http_ingest import HttpIngestConfig, check_message
from connectors.sdk.http import SenderToken, token_digest
from schemas.errors import MessageError
from schemas.xml import parse_message
from schemas.xml.identifiers import mask
from schemas.xml.rules import check_business_rules
from tests.unit.connectors.messages import DIALOG_SENDER, dialog

NATIONAL_ID = "01015000232"
BIRTH_DATE = NATIONAL_ID[:6]


def test_the_mask_keeps_no_birth_date() -> None:
    assert BIRTH_DATE not in mask(NATIONAL_ID)
    assert BIRTH_DATE not in mask(" 01015000233 ")  # an invalid one too


@pytest.mark.parametrize(
    "data",
    [
        f"<MsgHead><x{NATIONAL_ID}></MsgHead>".encode(),  # an id in a tag, echoed by the parser
        f"<MsgHead><x{BIRTH_DATE} 00232></MsgHead>".encode(),
    ],
)
def test_parser_text_does_not_echo_an_id(data: bytes) -> None:
    with pytest.raises(MessageError) as info:
        parse_message(data)
    assert BIRTH_DATE not in info.value.detail and BIRTH_DATE not in str(info.value)


def test_a_national_id_given_as_msgid_is_masked_in_the_error_detail() -> None:
    with pytest.raises(MessageError) as info:
        check_business_rules(parse_message(dialog(message_id=NATIONAL_ID)))
    assert info.value.code == "E10"
    assert BIRTH_DATE not in info.value.detail


def test_an_http_answer_does_not_echo_an_id() -> None:
    sender = SenderToken(name="k", her_ids=[DIALOG_SENDER], token_sha256=token_digest("t" * 24))
    config = HttpIngestConfig.model_validate({"topic": "raw.epj", "senders": [sender]})
    answer = check_message(config, f"<MsgHead><x{NATIONAL_ID}></MsgHead>".encode(), sender)
    body = json.loads(answer.text or "{}")  # type: ignore[union-attr]
    assert body["error"] == "T01" and BIRTH_DATE not in body["reason"]
