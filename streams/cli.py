"""The ``samflyt`` command line: one entry point, one small function per subcommand."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence

from pydantic import SecretStr

from schemas.errors import ConfigError, SamflytError
from streams.bindings import bindings_for, catalogue_for
from streams.settings import Settings, load_settings

Handler = Callable[[argparse.Namespace, Settings], int]
# the commands that read or write PostgreSQL as the runtime role (the worker and the demo check
# the database themselves); `connectors run` does for a source, which keeps its positions there
_DATABASE_COMMANDS = frozenset(
    {"trace", "dlq", "report", "audit", "purge", "route", "registry"}
)


def _database_to_check(args: argparse.Namespace, settings: Settings) -> Settings | None:
    """The settings of the database ``args``' command will use, or None when it uses none."""
    if args.command in _DATABASE_COMMANDS:
        return settings
    if args.command == "connectors" and args.connectors_command == "run":
        from connectors.runner import load_class
        from connectors.sdk.base import Source

        if issubclass(load_class(args.name), Source):
            url = args.database_url or settings.database_url.get_secret_value()
            return settings.model_copy(update={"database_url": SecretStr(url)})
    return None


def _check_database_first(args: argparse.Namespace, settings: Settings) -> None:
    """Before a command uses the database: the schema is current, and in production the role
    and TLS are safe (:func:`streams.db.check_database`)."""
    checked = _database_to_check(args, settings)
    if checked is not None:
        from streams.db import check_database

        asyncio.run(check_database(checked))


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from streams.db import migrate_database

    applied = asyncio.run(migrate_database(settings))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


def _cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    if args.asyncapi:
        from streams.asyncapi import asyncapi_document

        print(json.dumps(asyncapi_document(settings), indent=2, ensure_ascii=False))
        return 0
    if args.create:
        from streams.admin import ensure_topics

        created = asyncio.run(ensure_topics(settings))
        print(f"created {len(created)} topic(s)")
        return 0
    rows = [
        {
            "topic": settings.topic(t.name),
            "key": t.key,
            "value": t.value_schema or ("none (headers)" if t.headers_only else "XML bytes"),
            "partitions": t.partitions or settings.partitions,
            "policy": "compact"
            if t.compacted
            else f"delete after {t.retention_ms // 86_400_000} d",
            "readers": ",".join(t.readers),
        }
        for t in catalogue_for(bindings_for(settings))
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(
                f"{r['topic']:<42} {r['value']:<22} {r['partitions']:>3}  {r['policy']:<18} "
                f"key={r['key']}  readers={r['readers']}"
            )
    return 0


def _cmd_samples(args: argparse.Namespace, settings: Settings) -> int:
    from streams.synthetic import write_samples

    written = write_samples(args.dir, seed=args.seed, count=args.count)
    print(
        f"wrote {len(written)} sample messages to {args.dir} (the synthetic world, fictitious "
        f"persons, seed {args.seed}); the 13-dead-letter ones are bad on purpose"
    )
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from streams.demo import run_demo

    return asyncio.run(run_demo(settings))


def _cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from streams.worker import run_worker

    return run_worker(settings, loglevel=args.loglevel)


def _cmd_registry(args: argparse.Namespace, settings: Settings) -> int:
    from streams.registries.feed import publish_registry

    if args.action == "seed-synthetic":
        from streams.registries.seed import seed_registry
        from streams.synthetic import build_world

        world = build_world(seed=args.seed, scale=args.scale)
        asyncio.run(seed_registry(settings, world))
        print(
            f"registry tables replaced: {len(world.parties)} parties, "
            f"{len(world.patients)} patients ({args.scale}, seed {args.seed})"
        )
    parties, patients = asyncio.run(publish_registry(settings))
    print(f"published {parties} parties and {patients} patient entries")
    return 0


def _cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from streams.explain import explain, load_view, render

    view = asyncio.run(load_view(settings))
    worst = 0
    for name in args.files:
        report = explain(Path(name).read_bytes(), view, settings)
        print(render(Path(name), report, args.json))
        worst = max(worst, 0 if report["accepted"] else 1)
    return worst


def _cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    from schemas.xml.cli import cmd_parse

    return cmd_parse(
        args.files,
        strict=args.strict,
        test_environment=settings.test_environment,
        patient_key_secret=settings.patient_key_secret.get_secret_value().encode(),
    )


def _cmd_apprec(args: argparse.Namespace, settings: Settings) -> int:
    from schemas.xml.cli import cmd_apprec

    return cmd_apprec(args.file, args.status, args.out, args.error)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(prog="samflyt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Handler] = {}

    sub.add_parser(
        "migrate",
        help="apply pending database migrations as the owner role (SAMFLYT_DATABASE_OWNER_URL)"
        " and grant the runtime role (SAMFLYT_DATABASE_URL) its privileges",
    )
    handlers["migrate"] = _cmd_migrate

    topics = sub.add_parser("topics", help="list the topic catalogue (or create the topics)")
    topics.add_argument("--create", action="store_true", help="create missing topics")
    topics.add_argument("--json", action="store_true")
    topics.add_argument("--asyncapi", action="store_true",
                        help="print the AsyncAPI 3.0 document of every topic and its schema")
    handlers["topics"] = _cmd_topics

    sub.add_parser("demo", help="run the pipeline over the bundled sample messages")
    handlers["demo"] = _cmd_demo

    samples = sub.add_parser("samples", help="the synthetic world's sample messages")
    samples.add_argument("action", choices=["write"], help="write them into a folder")
    samples.add_argument("dir", help="folder to write NNN-<scenario>-<type>.xml files into")
    samples.add_argument("--seed", type=int, default=1)
    samples.add_argument("--count", type=int, default=50,
                         help="every scenario of the demo first, then mixed traffic")
    handlers["samples"] = _cmd_samples

    from connectors.cli import add_subcommands, handle

    add_subcommands(sub)
    handlers["connectors"] = handle

    route = sub.add_parser("route", help="routing tools")
    route_sub = route.add_subparsers(dest="route_command", required=True)
    explain = route_sub.add_parser("explain", help="who a message would reach and why (no send)")
    explain.add_argument("files", nargs="+")
    explain.add_argument("--json", action="store_true")
    handlers["route"] = _cmd_route

    parse = sub.add_parser("parse", help="parse messages into canonical events (ids masked)")
    parse.add_argument("files", nargs="+")
    parse.add_argument("--strict", action="store_true", help="also validate against the XSDs")
    handlers["parse"] = _cmd_parse

    apprec = sub.add_parser("apprec", help="write the AppRec answering a message")
    apprec.add_argument("file")
    apprec.add_argument("--status", default="ok", help="ok | rejected | ok-errors-in-parts")
    apprec.add_argument("--out", help="file to write (default: stdout)")
    apprec.add_argument(
        "--error",
        action="append",
        default=[],
        metavar="CODE[:DETAIL]",
        help="why it is not OK (kodeverk 8221, e.g. E21:unknown unit); repeatable",
    )
    handlers["apprec"] = _cmd_apprec

    worker = sub.add_parser("worker", help="run a pipeline worker until stopped")
    worker.add_argument("--loglevel", default="INFO")
    handlers["worker"] = _cmd_worker

    registry = sub.add_parser("registry", help="publish the registries to their topics")
    registry.add_argument(
        "action",
        choices=["publish", "seed-synthetic"],
        help="publish from PostgreSQL, or first replace it by a synthetic world",
    )
    registry.add_argument("--seed", type=int, default=1)
    registry.add_argument("--scale", default="small", choices=["small", "region", "national"])
    handlers["registry"] = _cmd_registry

    from streams import kafka_cli, ops_cli

    ops_cli.add_commands(sub, handlers)
    kafka_cli.add_commands(sub, handlers)
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        _check_database_first(args, settings)
        return handlers[args.command](args, settings)
    except ConfigError as exc:
        print(f"samflyt: {exc}", file=sys.stderr)
        return 2
    except SamflytError as exc:
        print(f"samflyt: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if not _operational(exc):
            raise  # a bug: its traceback is what the next engineer needs
        # a missing file, an unreachable or unmigrated database, a broker that does not answer:
        # one line naming it (2), not a traceback; 1 stays "the input was invalid"
        print(f"samflyt: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 2


def _operational(exc: BaseException) -> bool:
    """Errors of the machine and the services around a command, not of samflyt's code (the
    database and broker clients are imported only by the commands that use them)."""
    library = type(exc).__module__.split(".")[0]
    return isinstance(exc, (OSError, ValueError)) or library in ("asyncpg", "aiokafka")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or "(no detail)"


if __name__ == "__main__":
    sys.exit(main())
