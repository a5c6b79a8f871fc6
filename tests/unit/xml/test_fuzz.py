"""Random mutations of valid messages either parse or raise MessageError, nothing else.

Two kinds: byte mutations (mostly not well-formed: the hardened parse must type every failure)
and tree mutations that stay well-formed (elements deleted, repeated, emptied, moved or
wrapped, texts and code values replaced): these reach the readers, the business rules, the
canonical mapping, the Avro encoding and the receipts, which must all take any structure."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from schemas.canonical import to_canonical
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import default_codec
from schemas.errors import MessageError
from schemas.model import HeaderFamily
from schemas.xml.apprec import AppRecStatus, receipts_for
from schemas.xml.parse import _parse
from schemas.xml.rules import check_business_rules
from tests.unit.xml.conftest import CORPUS, sample

SEEDS = [
    sample("sarepta/dialogmelding-1.0/Dialogmelding_avvik_v1-0.xml"),
    sample("sarepta/svarrapport-1.4/Svar_biokjemi_v1-4_Endring.xml"),
    sample("sarepta/epikrise-1.1/epikrise_v1.1_n.xml"),
    sample("ks-no_fiks-nhn-client/app-rec/1.1/all-data.xml"),
    sample("sarepta/plo-1.6/Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["set", "delete", "insert"]))
        if op == "set":
            data[pos] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        else:
            data[pos:pos] = draw(st.sampled_from([b"<", b">", b"&", b"<x>", b"</", b'"', b"\xff"]))
        if not data:
            break
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_parse_or_raise_message_error(data: bytes) -> None:
    _all_the_way(data)


def _all_the_way(data: bytes) -> None:
    """What the validate stage does with a message; MessageError is the only way to refuse it
    (``_parse`` has no safety net: any other exception is a reader bug)."""
    try:
        msg = _parse(data, limits=None, strict=False)
    except MessageError:
        return
    with contextlib.suppress(MessageError):
        check_business_rules(msg)
    event = to_canonical(msg, patient_key="k", received_at=datetime(2026, 1, 1, tzinfo=UTC))
    default_codec().encode(CANONICAL_EVENT, event)
    if msg.family is not HeaderFamily.APPREC:
        for _, receipt in receipts_for(msg, AppRecStatus.REJECTED, ["X99"]):
            _parse(receipt, limits=None, strict=False)  # our own receipts always read back


def _readable(path: Path) -> bytes | None:
    data = path.read_bytes()
    try:
        _parse(data, limits=None, strict=False)
    except MessageError:
        return None
    return data


TREE_SEEDS = [
    etree.fromstring(data)
    for data in (_readable(p) for p in sorted(CORPUS.rglob("*.xml")))
    if data is not None
]
VALUES = ["", " ", "NULL", "0", "x" * 300, "\u00a0ø", "2024-13-45", "2024-02-30T25:61:00", "N",
          "M", "C", "A", "FNR", "DNR", "HER", "ENH", "HPR", "00000000000", "01015000232",
          "99999999999999999999", "v1.2 2006-05-24", " 12 "]  # fmt: skip
OPERATIONS = ["delete", "repeat", "text", "no text", "attribute", "drop attribute", "empty",
              "move", "wrap"]  # fmt: skip


@st.composite
def reshaped(draw: st.DrawFn) -> bytes:
    root = copy.deepcopy(draw(st.sampled_from(TREE_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        node = draw(st.sampled_from(elements))
        parent = node.getparent()
        op = draw(st.sampled_from(OPERATIONS))
        if op == "delete" and parent is not None:
            parent.remove(node)
        elif op == "repeat" and parent is not None:
            parent.insert(parent.index(node), copy.deepcopy(node))
        elif op == "text":
            node.text = draw(st.sampled_from(VALUES))
        elif op == "no text":
            node.text = None
        elif op == "attribute":
            node.set(draw(st.sampled_from(["V", "DN", "S", "OT"])), draw(st.sampled_from(VALUES)))
        elif op == "drop attribute" and node.attrib:
            del node.attrib[draw(st.sampled_from(sorted(node.attrib)))]
        elif op == "empty":
            for kid in list(node):
                node.remove(kid)
            node.text = None
        elif op == "move" and parent is not None:
            target = draw(st.sampled_from(elements))
            inside = node in target.iterancestors() or target in node.iter()
            if not inside:
                parent.remove(node)
                target.append(node)
        elif op == "wrap" and parent is not None:
            wrapper = etree.Element(node.tag)
            parent.replace(node, wrapper)
            wrapper.append(node)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(reshaped())
def test_reshaped_messages_map_encode_and_answer_or_raise_message_error(data: bytes) -> None:
    _all_the_way(data)
