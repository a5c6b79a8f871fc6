"""The SRE and quality subcommands of ``samflyt``: trace, dlq, report, audit."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from streams.db import connect, describe_database
from streams.settings import Settings
from streams.text import NORWAY

Handler = Callable[[argparse.Namespace, Settings], int]


def _with_conn(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    # on stderr, so JSON on stdout stays JSON: which instance the answer comes from
    url = settings.database_url.get_secret_value()
    print(f"samflyt: {describe_database(url)}", file=sys.stderr)

    async def run() -> int:
        conn = await connect(settings)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def _cmd_trace(args: argparse.Namespace, settings: Settings) -> int:
    from streams.journey.trace import format_json, format_text, load_journey

    async def work(conn: asyncpg.Connection) -> int:
        journey = await load_journey(conn, args.message_id)
        print(format_json(journey) if args.json else format_text(journey))
        return 0 if journey.steps else 1

    return _with_conn(settings, work)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def _cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from streams import dlq

    async def work(conn: asyncpg.Connection) -> int:
        if args.action == "list":
            rows = await dlq.list_dead(conn, reason=args.reason, limit=args.limit)
            if args.json:
                _print_json(rows)
            else:
                print(dlq.format_list(rows))
            return 0
        if args.action == "show":
            _print_json(await dlq.show(settings, conn, args.id, why=args.why))
            return 0
        if not args.ids and not args.filter:
            print("samflyt: dlq replay needs dead-letter ids or --filter REASON", file=sys.stderr)
            return 2
        done = await dlq.replay(settings, conn, ids=args.ids, reason=args.filter, why=args.why)
        for d in done:
            print(f"replayed {d.dead_letter_id} ({d.message_id}) to {d.topic}, attempt {d.attempt}")
        print(f"{len(done)} dead letter(s) replayed")
        return 0

    return _with_conn(settings, work)


def _cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from streams.report import format_report, quality_report

    end = args.to or datetime.now(UTC)
    start = args.from_ or end - timedelta(days=30)

    async def work(conn: asyncpg.Connection) -> int:
        print(format_report(await quality_report(conn, start, end), args.format))
        return 0

    return _with_conn(settings, work)


def _cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from streams import audit
    from streams.audit_anchor import verify_anchored

    async def work(conn: asyncpg.Connection) -> int:
        verdict = await verify_anchored(settings, conn)
        seq, digest = await audit.head(conn)
        for p in verdict.problems:
            print(f"audit: row {p.seq}: {p.problem}")
        if verdict.unanchored and verdict.anchored:
            print(f"audit: {len(verdict.unanchored)} row(s) not anchored"
                  f" (the first: {verdict.unanchored[0]})")
        print(f"audit: {verdict.checked} row(s) checked, {verdict.anchored} anchored,"
              f" head {seq} {digest}, {len(verdict.problems)} problem(s)")
        print(f"audit: {audit.ACTOR_NOTE}")
        return 1 if verdict.problems else 0

    return _with_conn(settings, work)


def _cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from streams.purge import purge, retention_plan

    async def work(conn: asyncpg.Connection) -> int:
        plan = retention_plan(settings, datetime.now(UTC))
        done = await purge(conn, plan, dry_run=args.dry_run)
        verb = "would delete" if args.dry_run else "deleted"
        for kept in plan:
            print(f"purge: {kept.table}: {verb} {done[kept.table]} row(s) older than"
                  f" {kept.cutoff.isoformat(timespec='seconds')}")
        return 0

    return _with_conn(settings, work)


def report_time(value: str) -> datetime:
    """An ISO date or time of ``--from``/``--to``; one without an offset is Norwegian local time
    (as samflyt reads the messages' own times): ``--from 2026-11-01`` starts the month at
    midnight in Norway, not at 01:00."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=NORWAY)


def add_commands(sub: Any, handlers: dict[str, Handler]) -> None:
    """Add the subcommands to the ``samflyt`` parser."""
    trace = sub.add_parser("trace", help="one message's journey, hop by hop")
    trace.add_argument("message_id")
    trace.add_argument("--json", action="store_true")
    handlers["trace"] = _cmd_trace

    dlq = sub.add_parser("dlq", help="list, show or replay dead letters")
    actions = dlq.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="newest dead letters (metadata only)")
    listing.add_argument("--reason", help="a reason (INVALID_PATIENT) or code (E31, bad-alarm)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one dead letter with its content (audited)")
    show.add_argument("id")
    show.add_argument("--why", required=True, help="why you read it (kept in the audit log)")
    replay = actions.add_parser("replay", help="re-inject the original bytes (audited)")
    replay.add_argument("ids", nargs="*")
    replay.add_argument(
        "--filter", metavar="REASON", help="every unreplayed one with REASON (a reason or code)"
    )
    replay.add_argument("--why", required=True, help="why (kept in the audit log)")
    handlers["dlq"] = _cmd_dlq

    report = sub.add_parser("report", help="message-exchange quality report")
    report.add_argument("kind", choices=["quality"])
    local = "ISO date or time, Norwegian time unless it has an offset"
    report.add_argument(
        "--from", dest="from_", type=report_time, help=f"{local} (default: --to minus 30 days)"
    )
    report.add_argument("--to", type=report_time, help=f"{local} (default: now)")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    handlers["report"] = _cmd_report

    audit = sub.add_parser(
        "audit", help="verify the audit log's keyed chain and its anchors on Kafka"
    )
    audit.add_argument("action", choices=["verify"])
    handlers["audit"] = _cmd_audit

    purge = sub.add_parser(
        "purge", help="delete stored messages, journeys and dead letters past their retention"
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    handlers["purge"] = _cmd_purge
