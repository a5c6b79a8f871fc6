"""``samflyt report quality``: the message-exchange quality report (as KomUT measured it), per
municipality and message type over a period, from the transaction log.

* **volume** — messages received in the period (a replayed message counts once);
* **rejected** / **share_rejected** — of those, how many were dead-lettered (negative AppRec);
* **median_s_to_apprec** / **p95_s_to_apprec** — seconds from the message's own time (MsgHead
  GenDate; the reception time when absent) to its first AppRec;
* **unanswered** — requests that went overdue and were never answered;
* **waiting_after_ready** — patients reported ready for discharge (LOG_UTSKRIVNINGSKLAR) with no
  discharge report (UTSKRIVNINGSRAPPORT) for them since, up to the end of the period.

The municipality is that of the municipal party among sender and receiver (address register),
else the sender's, else the receiver's; ``national`` for traffic of national services alone
(core-journal broadcasts), ``unknown`` when no party is registered (unparseable input).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import asyncpg

from streams.text import aligned

__all__ = ["COLUMNS", "DISCHARGED_TYPES", "READY_TYPE", "format_report", "quality_report"]

READY_TYPE = "LOG_UTSKRIVNINGSKLAR"
DISCHARGED_TYPES = ("UTSKRIVNINGSRAPPORT",)
COLUMNS = (
    "municipality",
    "msg_type",
    "volume",
    "rejected",
    "share_rejected",
    "median_s_to_apprec",
    "p95_s_to_apprec",
    "unanswered",
    "waiting_after_ready",
)

_SQL = """
WITH msg AS (
    SELECT DISTINCT ON (j.message_id) j.message_id, j.msg_type, j.at AS received_at,
        coalesce((j.detail->>'sent_at')::timestamptz, j.at) AS sent_at,
        j.sender_her_id, j.recipient_her_id, j.patient_key
    FROM message_journey j
    WHERE j.step = 'received' AND j.at >= $1 AND j.at < $2
    ORDER BY j.message_id, j.attempt, j.at
), placed AS (
    SELECT m.*, coalesce(
        CASE WHEN s.care_level = 'municipal' THEN s.municipality_code END,
        CASE WHEN r.care_level = 'municipal' THEN r.municipality_code END,
        s.municipality_code, r.municipality_code,
        CASE WHEN 'national' IN (s.care_level, r.care_level) THEN 'national' END,
        'unknown') AS municipality
    FROM msg m
    LEFT JOIN parties s ON s.her_id = m.sender_her_id
    LEFT JOIN parties r ON r.her_id = m.recipient_her_id
), facts AS (
    SELECT p.*,
        EXISTS (SELECT 1 FROM message_journey d
                WHERE d.message_id = p.message_id AND d.step = 'deadlettered') AS rejected,
        (SELECT min(c.at) FROM message_journey c
         WHERE c.message_id = p.message_id AND c.step = 'receipt') AS receipt_at,
        (EXISTS (SELECT 1 FROM message_journey o
                 WHERE o.message_id = p.message_id AND o.step = 'overdue')
         AND NOT EXISTS (SELECT 1 FROM message_journey a
                         WHERE a.message_id = p.message_id AND a.step = 'answered'))
            AS unanswered,
        (p.msg_type = $3 AND p.patient_key IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM message_journey x
            WHERE x.patient_key = p.patient_key AND x.step = 'received'
              AND x.msg_type = ANY($4::text[]) AND x.at < $2
              AND coalesce((x.detail->>'sent_at')::timestamptz, x.at) >= p.sent_at))
            AS waiting
    FROM placed p
)
SELECT municipality, coalesce(msg_type, 'UNKNOWN') AS msg_type,
    count(*) AS volume,
    count(*) FILTER (WHERE rejected) AS rejected,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM receipt_at - sent_at))
        FILTER (WHERE receipt_at IS NOT NULL) AS median_s_to_apprec,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM receipt_at - sent_at))
        FILTER (WHERE receipt_at IS NOT NULL) AS p95_s_to_apprec,
    count(*) FILTER (WHERE unanswered) AS unanswered,
    count(DISTINCT patient_key) FILTER (WHERE waiting) AS waiting_after_ready
FROM facts
GROUP BY 1, 2
ORDER BY 1, 2
"""


async def quality_report(
    conn: asyncpg.Connection, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """One row per (municipality, message type) with traffic received in ``[start, end)``."""
    rows = []
    for r in await conn.fetch(_SQL, start, end, READY_TYPE, list(DISCHARGED_TYPES)):
        row = dict(r)
        row["share_rejected"] = round(row["rejected"] / row["volume"], 4) if row["volume"] else 0.0
        for key in ("median_s_to_apprec", "p95_s_to_apprec"):
            row[key] = round(float(row[key]), 3) if row[key] is not None else None
        rows.append({c: row[c] for c in COLUMNS})
    return rows


def format_report(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    header: tuple[str, ...] = (
        "municip.",
        "type",
        "volume",
        "rejected",
        "share",
        "median s",
        "p95 s",
        "unanswered",
        "waiting",
    )
    table = [header] + [
        (
            str(r["municipality"]),
            str(r["msg_type"]),
            str(r["volume"]),
            str(r["rejected"]),
            f"{r['share_rejected']:.1%}",
            "-" if r["median_s_to_apprec"] is None else f"{r['median_s_to_apprec']:.1f}",
            "-" if r["p95_s_to_apprec"] is None else f"{r['p95_s_to_apprec']:.1f}",
            str(r["unanswered"]),
            str(r["waiting_after_ready"]),
        )
        for r in rows
    ]
    return "\n".join(aligned(table, left=2))

