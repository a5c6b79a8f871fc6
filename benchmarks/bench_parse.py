"""Messages per second on one core: bare lxml parse vs XML → canonical Avro bytes.

Run: ``python benchmarks/bench_parse.py [--seconds 0.2] [--rounds 5] [--json PATH]``. Uses the
vendored corpus samples, one representative per message type. For each it prints msgs/s of a bare
lxml parse (the baseline), of ``parse_message`` (hardened parse + envelope/document extraction),
and of the whole mapping the pipeline does per message: ``parse_message`` → patient pseudonym →
``to_canonical`` → framed Avro bytes. The ratios are the cost of each against the bare parse; the
target (at most 3 times) is for the whole mapping.

Each type is measured in ``--rounds`` rounds; within a round the three alternate in batches of a
few milliseconds, so all see the same machine state. The figures reported are the medians over
the rounds (each ratio is the median of the per-round ratios). Time
is CPU time of this process by default (``--clock wall`` for elapsed time), which keeps other
work on a shared machine from counting against either side. ``--json PATH`` also writes the
results as JSON for the benchmark harness.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from schemas.canonical import to_canonical
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import default_codec
from schemas.pseudonym import patient_key
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


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
TARGET_RATIO = 3.0
_SECRET = b"bench-parse-pseudonym-secret-32-bytes!!"
_RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)


def to_avro(data: bytes) -> bytes:
    """What the validate stage does per accepted message, minus the receipts and checks."""
    msg = parse_message(data)
    national_id = msg.patient.national_id if msg.patient else None
    key = patient_key(national_id, _SECRET) if national_id else None
    event = to_canonical(msg, patient_key=key, received_at=_RECEIVED)
    return default_codec().encode(CANONICAL_EVENT, event)


def _batch_size(func: Callable[[bytes], object], data: bytes, clock: Callable[[], float]) -> int:
    """Calls per timed batch: enough for about 2 ms, so the clock's resolution does not matter."""
    start = clock()
    func(data)
    once = max(clock() - start, 1e-7)
    return max(1, min(200, int(0.002 / once)))


def measure(
    data: bytes,
    bare: Callable[[bytes], object],
    seconds: float,
    rounds: int,
    clock: Callable[[], float],
) -> dict[str, Any]:
    """Msgs/s of bare parse, ``parse_message`` and the whole mapping, and their ratios.

    Within a round the three alternate batch by batch (a few ms each) until each has run for
    ``seconds``, so all see the same machine state; per round that gives one rate for each and
    one ratio per step. Reported: the medians over the rounds, and the spread of the ratios.
    """
    sides: dict[str, Callable[[bytes], object]] = {
        "bare": bare,
        "parse": parse_message,
        "full": to_avro,
    }
    to_avro(data)  # warm caches (schemas compiled, tag tables built)
    batch = _batch_size(to_avro, data, clock)
    rates: dict[str, list[float]] = {side: [] for side in sides}
    ratios: dict[str, list[float]] = {"parse": [], "full": []}
    for _ in range(rounds):
        spent = dict.fromkeys(sides, 0.0)
        calls = 0
        while min(spent.values()) < seconds:
            for side, func in sides.items():
                t0 = clock()
                for _ in range(batch):
                    func(data)
                spent[side] += clock() - t0
            calls += batch
        for side in sides:
            rates[side].append(calls / spent[side])
        for side in ratios:
            ratios[side].append(spent[side] / spent["bare"])
    return {
        "bytes": len(data),
        "bare_msgs_per_s": round(statistics.median(rates["bare"]), 1),
        "parse_msgs_per_s": round(statistics.median(rates["parse"]), 1),
        "full_msgs_per_s": round(statistics.median(rates["full"]), 1),
        "parse_ratio": round(statistics.median(ratios["parse"]), 3),
        "ratio": round(statistics.median(ratios["full"]), 3),
        "ratio_min": round(min(ratios["full"]), 3),
        "ratio_max": round(max(ratios["full"]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=0.2, help="time per side per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per type")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="what time counts")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    clock = CLOCKS[args.clock]
    bare_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def bare(data: bytes) -> object:
        return etree.fromstring(data, bare_parser)

    print(
        f"{'message type':28} {'bytes':>7} {'lxml msg/s':>11} {'parse msg/s':>12} {'ratio':>6}"
        f" {'to Avro msg/s':>14} {'ratio':>6}"
    )
    results: dict[str, dict[str, Any]] = {}
    for name, rel in SAMPLES.items():
        data = (CORPUS / rel).read_bytes()
        row = measure(data, bare, args.seconds, args.rounds, clock)
        results[name] = {"sample": rel, **row}
        print(
            f"{name:28} {len(data):7d} {row['bare_msgs_per_s']:11.0f} "
            f"{row['parse_msgs_per_s']:12.0f} {row['parse_ratio']:6.2f}"
            f" {row['full_msgs_per_s']:14.0f} {row['ratio']:6.2f}",
            flush=True,
        )
    ratios = [r["ratio"] for r in results.values()]
    worst, mean = max(ratios), sum(ratios) / len(ratios)
    parse_ratios = [r["parse_ratio"] for r in results.values()]
    print(
        f"{'worst ratio':28} parse {max(parse_ratios):.2f}, to Avro {worst:.2f}"
        f"   mean parse {statistics.mean(parse_ratios):.2f}, to Avro {mean:.2f}"
        f"   (target for XML -> Avro <= {TARGET_RATIO:.0f})"
    )
    if args.json is not None:
        report = {
            "benchmark": "parse",
            "description": (
                "bare lxml parse vs parse_message and vs XML -> canonical Avro bytes"
                " (ratio), msgs/s on one core"
            ),
            "unit": "msgs/s",
            "clock": args.clock,
            "seconds_per_measurement": args.seconds,
            "rounds": args.rounds,
            "statistic": "median over rounds",
            "target_ratio": TARGET_RATIO,
            "worst_ratio": round(worst, 3),
            "worst_parse_ratio": round(max(parse_ratios), 3),
            "mean_ratio": round(mean, 3),
            "meets_target": worst <= TARGET_RATIO,
            "python": platform.python_version(),
            "lxml": ".".join(map(str, etree.LXML_VERSION)),
            "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
            "types": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
