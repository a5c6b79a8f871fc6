"""Namespace tables: which standard and version a root or document namespace is (STANDARDS §3).

Routing is on (namespace, message type), never on prefixes or root names alone: several roots
are named unlike their message (``TverrfagligEpikrise`` is the Utskrivningsrapport, ``Konsultasjon``
the Helseopplysninger til lege).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPREC_NS",
    "FELLESFORMAT_NAMESPACES",
    "FELLESFORMAT_NS",
    "MESSAGE_NS",
    "MSGHEAD_NS",
    "apprec_version_for",
    "document_standard",
    "normalise_type",
]

MSGHEAD_NS: Final = "http://www.kith.no/xmlstds/msghead/2006-05-24"
BASE64_NS: Final = "http://www.kith.no/xmlstds/base64container"
FELLESFORMAT_NS: Final = "http://www.nav.no/xml/eiff/2/"
# NAV's wrapper in both namespaces it is sent in: eiff/2 around dialogue messages and AppRecs,
# the older Trygdeetaten eiff/1 around sick notes (sykmelding) and medical statements
FELLESFORMAT_NAMESPACES: Final = frozenset(
    {FELLESFORMAT_NS, "http://www.trygdeetaten.no/xml/eiff/1/"}
)

APPREC_NS: Final[dict[str, str]] = {
    "http://www.kith.no/xmlstds/apprec/2004-11-21": "1.0",
    "http://www.kith.no/xmlstds/apprec/2012-02-15": "1.1",
}

# Message-rooted standards: namespace -> (standard, version)
MESSAGE_NS: Final[dict[str, tuple[str, str]]] = {
    "http://www.kith.no/xmlstds/epikrise": ("epikrise", "1.0"),
    "http://www.kith.no/xmlstds/epikrise/2006-09-23": ("epikrise", "1.1"),
    "http://www.kith.no/xmlstds/epikrise/2012-02-15": ("epikrise", "1.2"),
    "http://www.kith.no/xmlstds/henvisning/2005-07-08": ("henvisning", "1.0"),
    "http://www.kith.no/xmlstds/henvisning/2012-02-15": ("henvisning", "1.1"),
    "http://www.kith.no/xmlstds/rekvisisjon/2005-05-20": ("rekvisisjon", "1.4"),
    "http://www.kith.no/xmlstds/rekvisisjon/2008-12-01": ("rekvisisjon", "1.5"),
    "http://www.kith.no/xmlstds/rekvisisjon/2012-02-15": ("rekvisisjon", "1.6"),
    "http://www.kith.no/xmlstds/labsvar/2005-03-14": ("svarrapport", "1.2"),
    "http://www.kith.no/xmlstds/labsvar/2008-12-01": ("svarrapport", "1.3"),
    "http://www.kith.no/xmlstds/labsvar/2012-02-15": ("svarrapport", "1.4"),
}

# Documents inside MsgHead: exact namespaces first, then (prefix, date) families
_DOCUMENT_NS: Final[dict[str, tuple[str, str]]] = {
    "http://www.kith.no/xmlstds/dialog/2006-10-11": ("dialogmelding", "1.0"),
    "http://www.kith.no/xmlstds/dialog/2013-01-23": ("dialogmelding", "1.1"),
    "http://ehelse.no/xmlstds/henvisning/2017-11-30": ("henvisning", "2.0"),
    "http://www.kith.no/xmlstds/epj/EPJEkstrakt/2008-02-20": ("epj-ekstrakt", "1.0"),
    # NAV's sick note (sykmelding) inside MsgHead
    "http://www.kith.no/xmlstds/HelseOpplysningerArbeidsuforhet/2013-10-01": (
        "sykmelding",
        "2013-10-01",
    ),
    # NAV's medical statement of incapacity for work (legeerklæring ved arbeidsuførhet)
    "http://www.kith.no/xmlstds/legeerklaring/2008-06-06": ("legeerklaering", "2008-06-06"),
    # samflyt's own events without a KITH standard: core-journal changes, home-care visits,
    # welfare-technology alarms (one ``Hendelse`` element; see streams.synthetic.messages.events)
    "urn:samflyt:xmlstds:hendelse:1.0": ("samflyt-hendelse", "1.0"),
}
_PLO_DATES: Final[dict[str, str]] = {"2009-06-30": "1.5", "2012-04-01": "1.6", "2016-05-30": "2.0"}
_PLO_PREFIXES: Final = ("http://www.kith.no/xmlstds/po/", "http://ehelse.no/xmlstds/po/")
_ERESEPT_PREFIX: Final = "http://www.kith.no/xmlstds/eresept/"

OPAQUE: Final = "opaque"


def document_standard(ns: str) -> tuple[str, str]:
    """(standard, version) of a MsgHead payload namespace; ``("opaque", "")`` when unknown."""
    known = _DOCUMENT_NS.get(ns)
    if known is not None:
        return known
    if ns.startswith(_PLO_PREFIXES):
        version = _PLO_DATES.get(ns.rsplit("/", 1)[-1])
        if version is not None:
            return "plo", version
    if ns.startswith(_ERESEPT_PREFIX):
        return "eresept", ns.rsplit("/", 1)[-1]
    return OPAQUE, ""


# kodeverk 8279: legacy one-letter types of the Message-rooted standards
_LEGACY_TYPES: Final[dict[str, str]] = {"H": "HENVISNING", "E": "EPIKRISE"}
_RESULT_CATEGORY: Final[dict[str, str]] = {
    "CLIN": "KKL",
    "MBIO": "MBIO",
    "CYTO": "CYT",
    "CYT": "CYT",
    "HIST": "HIST",
    "PAT": "HIST",
}
_RADIOLOGY: Final = frozenset({"RTG", "CT", "UL", "MR", "NUK", "PET", "MAM", "ANG", "GJEN"})


def normalise_type(code: str | None, standard: str, category: str | None) -> str:
    """8279 type from ``Type/@V``; legacy H/E/R/S mapped, R/S via ``MsgDescr`` (HISD 1209)."""
    value = (code or "").strip().upper()
    if value in _LEGACY_TYPES:
        return _LEGACY_TYPES[value]
    if value in ("R", "S") or (not value and standard in ("rekvisisjon", "svarrapport")):
        prefix = "REQ_" if value == "R" or standard == "rekvisisjon" else "SVAR_"
        cat = (category or "").strip().upper()
        if cat in _RADIOLOGY:
            return prefix + "RTG"
        return prefix + _RESULT_CATEGORY.get(cat, "LAB")
    return value


# HITS 1168 §8.3: the AppRec version an incoming message is answered with
_APPREC_11: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("epikrise", "1.2"),
        ("henvisning", "1.1"),
        ("henvisning", "2.0"),
        ("rekvisisjon", "1.6"),
        ("svarrapport", "1.4"),
        ("plo", "1.6"),
        ("plo", "2.0"),
        ("dialogmelding", "1.1"),
        ("apprec", "1.1"),
    }
)


def apprec_version_for(standard: str, version: str) -> str:
    """``"1.1"`` for the standards that require it, else ``"1.0"`` (e-resept, NAV, older)."""
    return "1.1" if (standard, version) in _APPREC_11 else "1.0"
