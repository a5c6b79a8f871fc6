"""Generated messages: well-formed, right root namespace and type code, sizes near target."""

from __future__ import annotations

import random
from datetime import datetime
from functools import partial

import pytest
from lxml import etree

from streams.synthetic import build_world, scenario_traffic, traffic
from streams.synthetic import messages as m

MH = "{http://www.kith.no/xmlstds/msghead/2006-05-24}"
ROOTS = {  # message type -> namespace of the document (MsgHead content or Message root)
    "DIALOG_FORESPORSEL": "http://www.kith.no/xmlstds/dialog/2006-10-11",
    "DIALOG_SVAR": "http://www.kith.no/xmlstds/dialog/2006-10-11",
    "DIALOG_HELSEFAGLIG": "http://www.kith.no/xmlstds/dialog/2013-01-23",
    "DIALOG_INNBYGGER_EKONTAKT": "http://www.kith.no/xmlstds/dialog/2013-01-23",
    "INNLEGGELSESRAPPORT": "http://www.kith.no/xmlstds/po/Innleggelsesrapport/2012-04-01",
    "UTSKRIVNINGSRAPPORT": "http://www.kith.no/xmlstds/po/TverrfagligEpikrise/2012-04-01",
    "HELSEOPPLYSNINGER_LEGE": "http://www.kith.no/xmlstds/po/HelseopplysningerTilLege/2012-04-01",
    "MEDISINSKE_OPPLYSNINGER": "http://www.kith.no/xmlstds/po/MedisinskeOpplysninger/2012-04-01",
    "LOG_UTSKRIVNINGSKLAR": "http://www.kith.no/xmlstds/po/Pasientlogistikk/2012-04-01",
    "HENVISNING_NYTILSTAND": m.HENVISNING_NS,
    "EPIKRISE": m.EPIKRISE_NS,
    "SVAR_LAB": m.SVAR_NS,
    "SVAR_RTG": m.SVAR_NS,
    "SYKMELDING": "http://www.kith.no/xmlstds/HelseOpplysningerArbeidsuforhet/2013-10-01",
    "SAMFLYT_KJ_KRITISK_INFO": m.EVENT_NS,
    "SAMFLYT_KJ_LEGEMIDDELENDRING": m.EVENT_NS,
    "SAMFLYT_BESOK_PLANLAGT": m.EVENT_NS,
    "SAMFLYT_BESOK_UTFORT": m.EVENT_NS,
    "SAMFLYT_ALARM": m.EVENT_NS,
}


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return build_world(3, "small")


def _type_and_doc_ns(data: bytes) -> tuple[str, str]:
    root = etree.fromstring(data)
    if root.tag == f"{MH}MsgHead":
        content = root.find(f"{MH}Document/{MH}RefDoc/{MH}Content")
        assert content is not None and len(content)
        return root.findtext(f"{MH}MsgInfo/{MH}Type") or root.find(f"{MH}MsgInfo/{MH}Type").get(
            "V", ""
        ), etree.QName(content[0]).namespace or ""
    ns = etree.QName(root).namespace or ""
    type_el = root.find(f"{{{ns}}}Type")
    assert type_el is not None
    return type_el.get("V", ""), ns


def test_scenarios_well_formed_with_right_root_and_type(world) -> None:  # type: ignore[no-untyped-def]
    seen = set()
    for item in scenario_traffic(world, 1):
        if item.expected.dead_letter == "malformed_xml":
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(item.data)
            continue
        msg_type, ns = _type_and_doc_ns(item.data)
        assert msg_type == item.expected.msg_type
        assert ns == ROOTS[msg_type], msg_type
        seen.add(msg_type)
    assert {
        "INNLEGGELSESRAPPORT",
        "EPIKRISE",
        "SVAR_LAB",
        "SVAR_RTG",
        "SYKMELDING",
        "SAMFLYT_ALARM",
        "HENVISNING_NYTILSTAND",
        "LOG_UTSKRIVNINGSKLAR",
    } <= seen


def test_same_seed_same_bytes(world) -> None:  # type: ignore[no-untyped-def]
    a = [i.data for i in traffic(world, 5, 60)]
    b = [i.data for i in traffic(build_world(3, "small"), 5, 60)]
    assert a == b
    assert a != [i.data for i in traffic(world, 6, 60)]


def test_message_ids_are_uuids_and_unique(world) -> None:  # type: ignore[no-untyped-def]
    ids = [i.expected.msg_id for i in traffic(world, 2, 300) if i.expected.duplicate_of is None]
    assert len(ids) == len(set(ids))
    assert all(len(i) == 36 and i[14] == "4" for i in ids)


@pytest.mark.parametrize("target", [2000, 5000, 20000])
def test_sizes_near_target(world, target: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    p = world.patients[0]
    gp = world.gp_of(p.national_id).her_id
    env = m.Envelope(
        m.new_uuid(rng), datetime(2024, 6, 3, 9), m.addressee(world, gp), m.addressee(world, gp), p
    )
    builders = [
        partial(m.dialog_question, version="1.1"),
        partial(m.dialog_question, version="1.0"),
        m.innleggelsesrapport,
        m.utskrivningsrapport,
        m.helseopplysninger_lege,
        m.medisinske_opplysninger,
        m.utskrivningsklar,
        partial(m.henvisning, document_id="d"),
        partial(m.epikrise, document_id="d"),
        partial(m.svarrapport, document_id="d", requisition_id="r"),
        partial(m.svarrapport, document_id="d", requisition_id="r", radiology=True),
        partial(m.critical_info, event_id="e"),
        partial(m.medication_change, event_id="e"),
        partial(m.visit, event_id="e", completed=False),
        partial(m.alarm, event_id="e"),
        m.sick_note,
        m.citizen_message,
    ]
    for build in builders:
        twin = random.Random()
        twin.setstate(rng.getstate())
        natural = len(build(env, twin))  # some documents are bigger than 2 KB to begin with
        data = build(env, rng, target_size=target)
        etree.fromstring(data)
        assert len(data) >= min(target, natural)
        assert len(data) <= max(target, natural) * 1.05 + 1200, (build, len(data))


def test_change_and_cancel_and_test_flags(world) -> None:  # type: ignore[no-untyped-def]
    items = [
        i
        for i in scenario_traffic(world, 1)
        if i.scenario in ("14-change-cancel", "15-test-traffic")
    ]
    change, cancel = (i for i in items if i.expected.action in ("M", "C"))
    assert b'<ServType V="M" DN="Endring"/>' in change.data
    assert b'<ServType V="C" DN="Kansellering"/>' in cancel.data
    assert change.expected.recipients == cancel.expected.recipients
    tests = [i for i in items if i.expected.test]
    assert b'<Status V="TEST"' in tests[0].data
    assert b'<ProcessingStatus V="D"' in tests[1].data
