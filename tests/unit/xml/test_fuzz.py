"""Random mutations of valid messages either parse or raise MessageError, nothing else."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.errors import MessageError
from schemas.xml.parse import _parse
from schemas.xml.rules import check_business_rules
from tests.unit.xml.conftest import sample

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
    # _parse has no safety net: any exception other than MessageError is a reader bug
    try:
        msg = _parse(data, limits=None, strict=False)
    except MessageError:
        return
    with contextlib.suppress(MessageError):
        check_business_rules(msg)
