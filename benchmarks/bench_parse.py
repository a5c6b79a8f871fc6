"""Messages per second on one core: bare lxml parse vs full ``parse_message`` extraction.

Run: ``python benchmarks/bench_parse.py [--seconds 0.5]``. Uses the vendored corpus samples,
one representative per message type; prints msgs/s for both and the ratio (target: at most 3 times).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lxml import etree

from schemas.xml import parse_message

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus" / "sarepta"
SAMPLES = {
    "DIALOG_FORESPORSEL 1.0": "dialogmelding-1.0/Dialogmelding_foresporsel_PLO_v1-0.xml",
    "DIALOG_HELSEFAGLIG 1.1": "dialogmelding-1.1/Helsefaglig_dialog.xml",
    "INNLEGGELSESRAPPORT 1.6": "plo-1.6/Innleggelsesrapport_v1-6_Ny.xml",
    "LOG_UTSKRIVNINGSKLAR 1.6": "plo-1.6/Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml",
    "UTSKRIVNINGSRAPPORT 1.6": "plo-1.6/Utskrivningsrapport_v1-6_Ny.xml",
    "HENVISNING 1.1": "henvisning-1.1/henvisning_v1.1_n.xml",
    "HENVISNING_NYTILSTAND 2.0": "henvisning-2.0/Henvisning_ny_tilstand_v2-0_Ny.xml",
    "EPIKRISE 1.2": "epikrise-1.2/epikrise_v1.2_n.xml",
    "REQ_LAB 1.6": "rekvisisjon-1.6/Rekvisisjon_lab_v1-6_Ny.xml",
    "SVAR_LAB (KKL) 1.4": "svarrapport-1.4/Svar_biokjemi_v1-4_Ny.xml",
    "SVAR_LAB (MBIO) 1.4": "svarrapport-1.4/Svar_mikrobiologi_dyrkning_v1-4_Ny.xml",
    "SVAR_LAB (HIST) 1.4": "svarrapport-1.4/Svar_patologi_histologi_v1-4_Ny.xml",
    "SVAR_RTG 1.4": "svarrapport-1.4/Svar_radiologi_v1-4_Ny.xml",
    "APPREC 1.0": "apprec-1.0/NPR_apprec-eksempel.xml",
    "ERM252": "eresept/M252_Fra_RF_til_epj.xml",
}


def rate(func: object, data: bytes, seconds: float) -> float:
    call = func  # type: ignore[assignment]
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            call(data)  # type: ignore[operator]
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    args = parser.parse_args()
    bare_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def bare(data: bytes) -> object:
        return etree.fromstring(data, bare_parser)

    print(f"{'message type':28} {'bytes':>7} {'lxml msg/s':>11} {'parse msg/s':>12} {'ratio':>6}")
    ratios = []
    for name, rel in SAMPLES.items():
        data = (CORPUS / rel).read_bytes()
        parse_message(data)  # warm caches
        base = rate(bare, data, args.seconds)
        full = rate(parse_message, data, args.seconds)
        ratios.append(base / full)
        print(f"{name:28} {len(data):7d} {base:11.0f} {full:12.0f} {base / full:6.2f}")
    print(f"{'worst ratio':28} {max(ratios):.2f}   mean {sum(ratios) / len(ratios):.2f}")


if __name__ == "__main__":
    main()
