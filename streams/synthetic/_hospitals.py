"""The health trusts (helseforetak, public bodies) and which counties/municipalities they serve.

Catchment areas are simplified to county level with a few well-known exceptions; good enough to
send a patient's admission to a plausible hospital, not a statement of real catchment areas.
"""

from __future__ import annotations

__all__ = ["DEPARTMENTS", "TRUSTS", "trust_index_for"]

# (name, counties served by default)
TRUSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Oslo universitetssykehus HF", ("03",)),
    ("Akershus universitetssykehus HF", ("32",)),
    ("Sykehuset Østfold HF", ("31",)),
    ("Vestre Viken HF", ("33",)),
    ("Sykehuset Innlandet HF", ("34",)),
    ("Sykehuset i Vestfold HF", ("39",)),
    ("Sykehuset Telemark HF", ("40",)),
    ("Sørlandet sykehus HF", ("42",)),
    ("Helse Stavanger HF", ("11",)),
    ("Helse Fonna HF", ()),
    ("Helse Bergen HF", ("46",)),
    ("Helse Førde HF", ()),
    ("Helse Møre og Romsdal HF", ("15",)),
    ("St. Olavs hospital HF", ("50",)),
    ("Helse Nord-Trøndelag HF", ()),
    ("Nordlandssykehuset HF", ("18",)),
    ("Helgelandssykehuset HF", ()),
    ("Universitetssykehuset Nord-Norge HF", ("55",)),
    ("Finnmarkssykehuset HF", ("56",)),
)

_EXCEPTIONS: dict[str, str] = {
    **dict.fromkeys(("3201", "3203"), "Vestre Viken HF"),
    **dict.fromkeys(("1106", "1135", "1144", "1145", "1146", "1149", "1151", "1160"),
                    "Helse Fonna HF"),
    **dict.fromkeys(("4611", "4612", "4613", "4614", "4615", "4616", "4617", "4618"),
                    "Helse Fonna HF"),
    **dict.fromkeys(("4602", *(str(n) for n in range(4635, 4652))), "Helse Førde HF"),
    **dict.fromkeys(("5006", "5007", *(str(n) for n in range(5034, 5054)), "5060"),
                    "Helse Nord-Trøndelag HF"),
    **dict.fromkeys(tuple(str(n) for n in range(1811, 1837)), "Helgelandssykehuset HF"),
    **dict.fromkeys(("1806", "1853"), "Universitetssykehuset Nord-Norge HF"),
}  # fmt: skip

# (department name, kind) — kind "dept", "plo", "lab", "radiology"
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("Medisinsk klinikk", "dept"),
    ("Kirurgisk klinikk", "dept"),
    ("Ortopedisk avdeling", "dept"),
    ("Kvinneklinikken", "dept"),
    ("Barne- og ungdomsklinikken", "dept"),
    ("Klinikk for psykisk helsevern", "dept"),
    ("Akuttmottak", "dept"),
    ("PLO innleggelse somatikk", "plo"),
    ("Medisinsk biokjemi", "lab"),
    ("Medisinsk mikrobiologi", "lab"),
    ("Patologi", "lab"),
    ("Bildediagnostikk", "radiology"),
)


def trust_index_for(municipality_code: str) -> int:
    """Index into :data:`TRUSTS` of the trust serving a municipality."""
    name = _EXCEPTIONS.get(municipality_code)
    for i, (trust, counties) in enumerate(TRUSTS):
        if trust == name or (name is None and municipality_code[:2] in counties):
            return i
    raise KeyError(municipality_code)
