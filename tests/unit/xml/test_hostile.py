"""Hostile and broken inputs: always a typed error, never a crash or a hang."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from schemas.errors import MessageError
from schemas.xml import ParseLimits, parse_message
from schemas.xml.safe import parse_bytes
from tests.unit.xml.conftest import sample

DIALOG = "sarepta/dialogmelding-1.0/Dialogmelding_foresporsel_PLO_v1-0.xml"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<MsgHead>&lol4;</MsgHead>"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><m>'
    + b"&a;" * 5_000
    + b"</m>"
)
XXE_FILE = (
    b"""<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><m>&x;</m>"""
)
XXE_HTTP = (
    b"""<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><m>&x;</m>"""
)
UTF16_DOCTYPE = "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE m [<!ENTITY a 'b'>]><m>&a;</m>"
UTF16_DOCTYPE = UTF16_DOCTYPE.encode("utf-16")
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://127.0.0.1:9/evil.dtd"><m/>"""
XINCLUDE = (
    b'<m xmlns:xi="http://www.w3.org/2001/XInclude">'
    b'<xi:include href="file:///etc/passwd" parse="text"/></m>'
)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (BILLION_LAUGHS, "T01"),
        (QUADRATIC, "T01"),
        (XXE_FILE, "T01"),
        (XXE_HTTP, "T01"),
        (EXTERNAL_DTD, "T01"),
        (UTF16_DOCTYPE, "T01"),
        (XINCLUDE, "T10"),  # parsed, never included, then refused as not a message
        (b"", "T01"),
        (b"   \n", "T01"),
        (b"\x00\xff\xfe garbage \x89PNG", "T01"),
        (b"<MsgHead><MsgInfo>", "T01"),
        (b"not xml at all", "T01"),
        ('<?xml version="1.0" encoding="UTF-8"?><m>\u00e6</m>'.encode("latin-1"), "T01"),
        (b'<?xml version="1.0" encoding="NO-SUCH"?><m/>', "T01"),
        (b"<m/>", "T10"),
    ],
)
def test_hostile_inputs_raise_typed_errors(data: bytes, code: str) -> None:
    start = time.perf_counter()
    with pytest.raises(MessageError) as info:
        parse_message(data)
    assert info.value.code == code
    assert time.perf_counter() - start < 2.0
    assert b"root:" not in info.value.detail.encode()


def test_truncated_sample() -> None:
    data = sample(DIALOG)
    for cut in (10, len(data) // 3, len(data) - 20):
        with pytest.raises(MessageError) as info:
            parse_message(data[:cut])
        assert info.value.code == "T01"


def test_oversized_input() -> None:
    with pytest.raises(MessageError) as info:
        parse_message(sample(DIALOG), limits=ParseLimits(max_bytes=1000))
    assert info.value.code == "T99"


@pytest.mark.parametrize("depth", [150, 5_000, 200_000])
def test_deep_nesting(depth: int) -> None:
    data = b"<a>" * depth + b"</a>" * depth
    with pytest.raises(MessageError) as info:
        parse_message(data)
    assert info.value.code == "T99"


def test_depth_limit_is_configurable() -> None:
    data = sample(DIALOG)
    parse_message(data)
    with pytest.raises(MessageError) as info:
        parse_message(data, limits=ParseLimits(max_depth=5))
    assert info.value.code == "T99"


def test_encodings_are_read_from_the_bytes() -> None:
    text = sample(DIALOG).decode("utf-8")
    body = text.split("?>", 1)[1]
    bom_utf8 = b"\xef\xbb\xbf" + sample(DIALOG)
    latin1 = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("latin-1")
    # a real lab export: UTF-16LE with BOM although the declaration says ISO-8859-1
    utf16 = b"\xff\xfe" + ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("utf-16-le")
    expected = parse_message(sample(DIALOG))
    for data in (bom_utf8, latin1, utf16):
        msg = parse_message(data)
        assert msg.message_id == expected.message_id
        assert msg.sender == expected.sender


def test_entities_never_expand_in_text() -> None:
    root = parse_bytes(b"<m>&amp;&#65;</m>")
    assert root.text == "&A"


def _external_pe(path: str, *, pad: int = 0, utf16: bool = False) -> bytes:
    """A DOCTYPE whose external parameter entity names ``path``: after a long comment (past any
    scan of the first bytes) or in UTF-16 without a declaration."""
    text = (
        "<!--" + "x" * pad + "-->"
        + f'<!DOCTYPE m [<!ENTITY % p SYSTEM "{path}"> %p;]><m/>'
    )  # fmt: skip
    return text.encode("utf-16") if utf16 else text.encode()


@pytest.mark.parametrize("utf16", [False, True])
def test_no_file_a_doctype_names_is_ever_opened(tmp_path: Path, utf16: bool) -> None:
    secret, fifo = tmp_path / "secret.dtd", tmp_path / "fifo"
    secret.write_text('<!ENTITY % leak "x">')
    os.mkfifo(fifo)  # opening it would block until someone writes
    outcomes: list[tuple[str, str]] = []

    def parse_all() -> None:
        for path in (secret, tmp_path / "missing.dtd", fifo):
            with pytest.raises(MessageError) as info:
                parse_bytes(_external_pe(str(path), pad=70_000, utf16=utf16))
            outcomes.append((info.value.code, str(info.value)))

    worker = threading.Thread(target=parse_all, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "a parse blocked on the FIFO a DOCTYPE named"
    # the same answer whether the file exists or not: no oracle, nothing read
    assert len(set(outcomes)) == 1 and outcomes[0][0] == "T01"
    assert "DOCTYPE" in outcomes[0][1]


def test_doctype_text_that_is_no_declaration_is_taken() -> None:
    html = (
        b"<m><![CDATA[<!DOCTYPE html><html><body>vedlegg</body></html>]]>"
        b"<!-- <!DOCTYPE x> --></m>"
    )
    root = parse_bytes(html)
    assert "<!DOCTYPE html>" in (root.text or "")


def test_a_tag_named_like_a_limit_is_still_only_not_well_formed() -> None:
    for data in (b"<depth></x>", b"<huge></x>", b"<entity><doctype></entity>"):
        with pytest.raises(MessageError) as info:
            parse_bytes(data)
        assert info.value.code == "T01"
