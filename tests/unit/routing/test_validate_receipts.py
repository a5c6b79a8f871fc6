"""Whom the validate stage answers as: the addressed receiver, and the copy receivers samflyt
serves; a copy receiver it does not know gets nothing, so no AppRec is sent in its name."""

from __future__ import annotations

import re

from streams.registries.records import CareLevel, PartyKind
from streams.registries.view import RegistryView
from streams.stages.validate import Accepted, Origin, Rejected, validate
from tests.unit.routing.test_answers import _route, person_key
from tests.unit.routing.test_route import party
from tests.unit.xml.conftest import sample
from tests.unit.xml.test_variants import H_NUMBER, unidentified_emergency_patient

EPIKRISE = sample("sarepta/epikrise-1.2/epikrise_v1.2_n.xml")  # to 91393, copy to 95136
ORIGIN = Origin("raw.epj", 0, 1, None, None, ())


def _answered_as(*registered: str) -> list[str]:
    view = RegistryView()
    for her_id in registered:
        view.put_party(party(her_id, PartyKind.GP_OFFICE, CareLevel.GP))
    result = validate(
        EPIKRISE, origin=ORIGIN, registry=view, patient_key=lambda nid: "k", test_environment=True
    )
    assert isinstance(result, Accepted)
    return [r["sender"]["her_id"] for r in result.receipts]


def test_a_copy_receiver_samflyt_does_not_serve_gets_no_apprec_in_its_name() -> None:
    assert _answered_as("91393") == ["91393"]
    assert _answered_as("91393", "95136") == ["91393", "95136"]


def test_an_unidentifiable_sender_is_dead_lettered_saying_no_receipt_is_possible() -> None:
    nobody = re.sub(
        rb"<ServProvider>.*?</ServProvider>",
        b"<ServProvider><HCP><Inst><Name></Name><Id></Id></Inst></HCP></ServProvider>",
        EPIKRISE,
        count=1,
        flags=re.DOTALL,
    )
    view = RegistryView()
    view.put_party(party("91393", PartyKind.GP_OFFICE, CareLevel.GP))
    result = validate(nobody, origin=ORIGIN, registry=view, patient_key=lambda nid: "k")
    assert isinstance(result, Rejected)
    assert result.receipts == [] and result.parsed is None
    letter = result.dead_letter
    assert letter["detail"].startswith("no receipt possible: sender unidentifiable")
    assert (letter["reason_code"], letter["error_type"]) == ("T02", "UnidentifiedSenderError")


def test_a_result_for_a_patient_known_by_name_and_hjelpenummer_is_accepted_and_routed() -> None:
    # the lab's result for an unidentified emergency patient: "Ukjent kvinne", sex, H-number
    result = unidentified_emergency_patient(H_NUMBER, "HNR")
    view = RegistryView()
    for her_id, kind, level in (
        ("91126", PartyKind.LAB, CareLevel.SPECIALIST),  # the laboratory (sender)
        ("56704", PartyKind.GP_OFFICE, CareLevel.GP),  # the requester
    ):
        view.put_party(party(her_id, kind, level))
    accepted = validate(result, origin=ORIGIN, registry=view, patient_key=person_key)
    assert isinstance(accepted, Accepted)
    assert accepted.patient_key == person_key(H_NUMBER)
    assert [r["info"]["status"] for r in accepted.receipts] == ["OK"]
    outcome = _route(accepted.event, view)
    assert "56704" in {delivery.key for delivery in outcome.deliveries}
