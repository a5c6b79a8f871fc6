"""What each kind of party can receive, and which standard each message type travels in.

``STANDARD_OF`` maps a message type to (standard, version) as the generator writes it;
``ACCEPTS_BY_KIND`` is what the synthetic address register says each kind of party takes.
samflyt's own event types (no KITH standard) are prefixed ``SAMFLYT_`` and travel in MsgHead with
the samflyt event content (see :mod:`streams.synthetic.messages.events`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from streams.registries.records import PartyKind

__all__ = ["ACCEPTS_BY_KIND", "STANDARD_OF"]

STANDARD_OF: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "DIALOG_FORESPORSEL": ("dialogmelding", "1.0"),
    "DIALOG_SVAR": ("dialogmelding", "1.0"),
    "DIALOG_HELSEFAGLIG": ("dialogmelding", "1.1"),
    "DIALOG_INNBYGGER_EKONTAKT": ("dialogmelding", "1.1"),
    "INNLEGGELSESRAPPORT": ("plo", "1.6"),
    "UTSKRIVNINGSRAPPORT": ("plo", "1.6"),
    "HELSEOPPLYSNINGER_LEGE": ("plo", "1.6"),
    "MEDISINSKE_OPPLYSNINGER": ("plo", "1.6"),
    "LOG_UTSKRIVNINGSKLAR": ("plo", "1.6"),
    "HENVISNING_NYTILSTAND": ("henvisning", "2.0"),
    "EPIKRISE": ("epikrise", "1.2"),
    "SVAR_LAB": ("svarrapport", "1.4"),
    "SVAR_RTG": ("svarrapport", "1.4"),
    "SYKMELDING": ("sykmelding", "2013-10-01"),
    "SAMFLYT_KJ_KRITISK_INFO": ("samflyt-hendelse", "1.0"),
    "SAMFLYT_KJ_LEGEMIDDELENDRING": ("samflyt-hendelse", "1.0"),
    "SAMFLYT_BESOK_PLANLAGT": ("samflyt-hendelse", "1.0"),
    "SAMFLYT_BESOK_UTFORT": ("samflyt-hendelse", "1.0"),
    "SAMFLYT_ALARM": ("samflyt-hendelse", "1.0"),
})  # fmt: skip

_DIALOG = {"DIALOG_FORESPORSEL": ("1.0",), "DIALOG_SVAR": ("1.0",), "DIALOG_HELSEFAGLIG": ("1.1",)}
_PLO_TO_MUNICIPAL = {
    "LOG_UTSKRIVNINGSKLAR": ("1.5", "1.6"),
    "UTSKRIVNINGSRAPPORT": ("1.5", "1.6"),
    "MEDISINSKE_OPPLYSNINGER": ("1.5", "1.6"),
}
_RESULTS = {"SVAR_LAB": ("1.3", "1.4"), "SVAR_RTG": ("1.3", "1.4")}
_EPIKRISE = {"EPIKRISE": ("1.1", "1.2")}
_EVENTS_CARE = {
    "SAMFLYT_KJ_KRITISK_INFO": ("1.0",),
    "SAMFLYT_KJ_LEGEMIDDELENDRING": ("1.0",),
}
_MUNICIPAL_CARE = {**_DIALOG, **_PLO_TO_MUNICIPAL, **_RESULTS, **_EPIKRISE, **_EVENTS_CARE}


def _freeze(d: Mapping[str, tuple[str, ...]]) -> MappingProxyType[str, tuple[str, ...]]:
    return MappingProxyType(dict(sorted(d.items())))


ACCEPTS_BY_KIND: MappingProxyType[PartyKind, MappingProxyType[str, tuple[str, ...]]] = (
    MappingProxyType({
        PartyKind.MUNICIPALITY: _freeze({}),
        PartyKind.CARE_ALLOCATION: _freeze({**_DIALOG, **_PLO_TO_MUNICIPAL}),
        PartyKind.HOME_CARE: _freeze({
            **_MUNICIPAL_CARE,
            "DIALOG_INNBYGGER_EKONTAKT": ("1.1",),
            "SAMFLYT_ALARM": ("1.0",),
        }),
        PartyKind.NURSING_HOME: _freeze({**_MUNICIPAL_CARE, "SAMFLYT_ALARM": ("1.0",)}),
        PartyKind.HEALTH_STATION: _freeze({**_DIALOG, **_RESULTS, **_EPIKRISE}),
        PartyKind.EMERGENCY_PRIMARY_CARE: _freeze({**_DIALOG, **_RESULTS, **_EVENTS_CARE}),
        PartyKind.MUNICIPAL_ACUTE_BEDS: _freeze(_MUNICIPAL_CARE),
        PartyKind.PSYCHIATRY: _freeze({**_DIALOG, **_EPIKRISE, **_EVENTS_CARE}),
        PartyKind.GP_OFFICE: _freeze({
            **_DIALOG, **_RESULTS, **_EPIKRISE,
            "HELSEOPPLYSNINGER_LEGE": ("1.5", "1.6"),
            "UTSKRIVNINGSRAPPORT": ("1.5", "1.6"),  # the discharge report reaches the GP too
            "SAMFLYT_KJ_LEGEMIDDELENDRING": ("1.0",),
        }),
        PartyKind.GP: _freeze({}),  # persons are reached through their office
        PartyKind.HOSPITAL: _freeze({}),
        PartyKind.HOSPITAL_DEPARTMENT: _freeze({
            **_DIALOG, **_RESULTS, **_EPIKRISE, **_EVENTS_CARE,
            "INNLEGGELSESRAPPORT": ("1.5", "1.6"),
            "HENVISNING_NYTILSTAND": ("2.0",),
        }),
        PartyKind.LAB: _freeze(_DIALOG),
        PartyKind.RADIOLOGY: _freeze(_DIALOG),
        PartyKind.NATIONAL_SERVICE: _freeze({}),  # set per service from its entitlements
        PartyKind.CITIZEN_PORTAL: _freeze({}),
        PartyKind.TEST: _freeze({}),
    })
)  # fmt: skip
