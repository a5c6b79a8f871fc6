"""``samflyt kafka acls plan|apply``: the broker's principals and ACLs, from the catalogue."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from streams.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _cmd_kafka(args: argparse.Namespace, settings: Settings) -> int:
    from streams.principals import acl_plan, principals, strimzi_users

    grants = acl_plan(settings)
    if args.action == "plan":
        if args.strimzi:
            import yaml

            print(yaml.safe_dump_all(strimzi_users(grants, args.strimzi), sort_keys=False))
        elif args.json:
            print(json.dumps([_row(g) for g in grants], indent=2))
        else:
            for grant in grants:
                print(grant.describe())
            print(f"{len(grants)} grants for {len(principals(grants))} principals")
        return 0
    from streams.acls import apply_acls
    from streams.principals import ADMIN

    print(f"samflyt: applying the plan to {settings.kafka(ADMIN).describe()}")
    made = asyncio.run(apply_acls(settings, grants, create_users=args.create_users))
    print(f"applied {len(grants)} grants for {len(principals(grants))} principals"
          + (f"; created users: {', '.join(made)}" if made else ""))
    return 0


def _row(grant: object) -> dict[str, str]:
    return {name: str(getattr(grant, name))
            for name in ("principal", "resource", "pattern", "name", "operation")}


def add_commands(sub: Any, handlers: dict[str, Handler]) -> None:
    kafka = sub.add_parser("kafka", help="the broker's principals and ACLs")
    ksub = kafka.add_subparsers(dest="kafka_command", required=True)
    acls = ksub.add_parser("acls", help="print the ACL plan, or apply it as the broker admin")
    acls.add_argument("action", choices=["plan", "apply"])
    acls.add_argument("--json", action="store_true")
    acls.add_argument(
        "--strimzi", metavar="CLUSTER", help="print the plan as Strimzi KafkaUser resources"
    )
    acls.add_argument(
        "--create-users",
        action="store_true",
        help="also create each principal's SCRAM user (local brokers: passwords are written"
        " to SAMFLYT_KAFKA_CREDENTIALS_DIR, one file each, mode 0600)",
    )
    handlers["kafka"] = _cmd_kafka
