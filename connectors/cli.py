"""``samflyt connectors list | run NAME --config FILE | check NAME --config FILE``.

Wire into the main CLI with :func:`add_subcommands` and dispatch to :func:`handle`; also
runnable alone as ``python -m connectors``. The broker, its security and the database come
from samflyt's settings (``SAMFLYT_KAFKA_*``, ``SAMFLYT_DATABASE_URL``); a connector logs in
to Kafka as its own principal: ``--principal``, ``SAMFLYT_KAFKA_SASL_USERNAME``, or the one
its topics name (``connector-<instance>`` for a source writing ``raw.<source>[.<instance>]``,
``sink-<topic>`` for a sink reading a delivery topic).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import registry
from .kafka_security import KafkaConnection
from .principals import STORE, connector_principal, raw_topic_owner, sink_principal
from .runner import build, load_class, read_config_file, run
from .sdk import Connector, Sink, Source
from .sdk.exceptions import ConnectorConfigError, ConnectorError
from .sdk.logs import configure_logging

__all__ = ["add_subcommands", "handle", "main"]


def add_subcommands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``connectors`` with its ``list``/``run``/``check`` subcommands to ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "connectors", help="list, check and run connectors"
    )
    sub = parser.add_subparsers(dest="connectors_command", required=True)
    sub.add_parser("list", help="list the registered connectors")
    for name, helptext in (
        ("run", "run a connector until SIGTERM/SIGINT"),
        ("check", "validate a connector's config file and print every problem"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("name", help="connector name (entry point) or module:Class")
        cmd.add_argument("--config", required=True, type=Path, help="YAML config file")
    run_cmd = sub.choices["run"]
    run_cmd.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers")
    run_cmd.add_argument("--principal", default=None, help="Kafka principal to log in as")
    run_cmd.add_argument("--database-url", default=None, help="PostgreSQL URL (sources)")
    return parser


def _list() -> int:
    names = registry.available()
    if not names:
        print("no connectors registered")
    for name in names:
        try:
            cls = registry.load(name)
        except ConnectorError as exc:
            print(f"{name:<24} refused: {exc}")
            continue
        kind = "sink" if issubclass(cls, Sink) else "source"
        print(f"{name:<24} {kind:<7} sdk {cls.sdk_version:<6} {cls.__module__}.{cls.__qualname__}")
    return 0


def _check(args: argparse.Namespace) -> int:
    cls = load_class(args.name)
    build(cls, read_config_file(args.config))
    print(f"{args.config}: config for {cls.name} is valid")
    return 0


def _setting(settings: Any, attr: str, env: str) -> str | None:
    value: Any = getattr(settings, attr, None)
    secret = getattr(value, "get_secret_value", None)
    if callable(secret):
        value = secret()
    return os.environ.get(env) or (str(value) if value else None)


def default_principal(connector: Connector[Any]) -> str:
    """The principal a connector's topics name (see the module docstring)."""
    if isinstance(connector, Source):
        owner = raw_topic_owner(connector.config.topic)
        return owner or connector_principal(connector.name)
    topics: list[str] = getattr(connector.config, "topics", [])
    first = topics[0] if topics else ""
    return sink_principal(first) if ".delivery." in f".{first}" else STORE


def _kafka(args: argparse.Namespace, settings: Any, connector: Connector[Any]) -> KafkaConnection:
    if settings is None:
        from streams.settings import get_settings  # the SDK alone needs no settings object

        settings = get_settings()
    if args.bootstrap:
        settings = settings.model_copy(update={"kafka_bootstrap": args.bootstrap})
    principal = args.principal or settings.kafka_sasl_username or default_principal(connector)
    kafka: KafkaConnection = settings.kafka(principal)
    return kafka


async def _run(args: argparse.Namespace, settings: Any) -> int:
    configure_logging("INFO")  # a long-running process: JSON lines, as the workers log
    cls = load_class(args.name)
    connector = build(cls, read_config_file(args.config))
    kafka = _kafka(args, settings, connector)
    print(f"samflyt: connector {connector.name} connects to {kafka.describe()}", file=sys.stderr)
    database = args.database_url or _setting(settings, "database_url", "SAMFLYT_DATABASE_URL")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await run(connector, kafka=kafka, database_url=database, stop=stop)
    return 0


def handle(args: argparse.Namespace, settings: Any = None) -> int:
    """Run the ``connectors`` subcommand in ``args``; returns the exit status."""
    try:
        if args.connectors_command == "list":
            return _list()
        if args.connectors_command == "check":
            return _check(args)
        return asyncio.run(_run(args, settings))
    except ConnectorConfigError as exc:
        print(f"samflyt: {exc}", file=sys.stderr)
        return 2
    except ConnectorError as exc:
        print(f"samflyt: error: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_subcommands(subparsers)
    rest = sys.argv[1:] if argv is None else list(argv)
    return handle(parser.parse_args(["connectors", *rest]))
