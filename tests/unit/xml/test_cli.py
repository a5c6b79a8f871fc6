from __future__ import annotations

import io
import json
from pathlib import Path

from schemas.xml.cli import cmd_apprec, cmd_parse
from schemas.xml.parse import parse_message
from tests.unit.xml.conftest import CORPUS

GOOD = str(CORPUS / "sarepta/plo-1.6/Innleggelsesrapport_v1-6_Ny.xml")
PLO15 = "sarepta/acceptance-tests/plo-1.5-innleggelsesrapport-mottak/"
BAD_PATIENT = str(CORPUS / PLO15 / "Case1-14b-Innleggelsesrapport-v1_5.xml")
NOT_MESSAGE = str(CORPUS / "ks-no_fiks-nhn-client/registries/get-patient-gp.xml")


def test_parse_masks_ids_and_sets_exit_status() -> None:
    out = io.StringIO()
    assert cmd_parse([GOOD], strict=False, out=out) == 0
    text = out.getvalue()
    assert "13116900216" not in text and "131169*" not in text
    event = json.loads(text)["event"]  # the canonical event the pipeline would publish
    assert event["msg_type"] == "INNLEGGELSESRAPPORT"
    assert event["payload"]["type"] == "no.samflyt.care.CareMessage"
    assert event["patient"]["national_id"] == "*" * 11  # not even the birth date
    assert event["patient"]["patient_key"] is None  # no secret given: no pseudonym
    assert event["original"]["content"] is None and event["original"]["size"] > 0
    out = io.StringIO()
    assert cmd_parse([GOOD], strict=False, patient_key_secret=b"k" * 32, out=out) == 0
    assert len(json.loads(out.getvalue())["event"]["patient"]["patient_key"]) == 64
    out = io.StringIO()
    assert cmd_parse([GOOD, BAD_PATIENT, NOT_MESSAGE], strict=False, out=out) == 1
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[1]["error"]["code"] == "E31" and lines[1]["apprec"]
    assert lines[2]["error"]["code"] == "T10"


def test_apprec_command_writes_a_receipt(tmp_path: Path) -> None:
    target = tmp_path / "apprec.xml"
    assert cmd_apprec(BAD_PATIENT, "rejected", str(target)) == 0
    back = parse_message(target.read_bytes())
    assert back.body["status"] == "2" and back.body["errors"] == "E31"
    assert cmd_apprec(GOOD, "nonsense", None) == 2


def test_a_rejection_names_its_error(tmp_path: Path) -> None:
    target = tmp_path / "apprec.xml"
    # a message that passes the rules cannot be rejected without saying why
    assert cmd_apprec(GOOD, "rejected", str(target)) == 2
    assert not target.exists()
    assert cmd_apprec(GOOD, "rejected", str(target), ["e21: unit closed"]) == 0
    back = parse_message(target.read_bytes())
    assert back.body["status"] == "2" and back.body["errors"] == "E21"
    assert "unit closed" in back.body["error_texts"]
    # given errors replace the rules' own; codes outside kodeverk 8221 and errors on OK refused
    assert cmd_apprec(BAD_PATIENT, "rejected", str(target), ["X99"]) == 0
    assert parse_message(target.read_bytes()).body["errors"] == "X99"
    assert cmd_apprec(GOOD, "rejected", None, ["E77"]) == 2
    assert cmd_apprec(GOOD, "ok", None, ["E21"]) == 2
