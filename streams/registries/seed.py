"""Put a synthetic world into the registry tables (the demo, tests and benchmarks use it)."""

from __future__ import annotations

from streams.db import connect
from streams.registries.store import replace_registry
from streams.settings import Settings
from streams.synthetic import SyntheticWorld


async def seed_registry(settings: Settings, world: SyntheticWorld) -> None:
    conn = await connect(settings)
    try:
        await replace_registry(
            conn,
            parties=world.parties,
            services=world.national_services,
            gp_assignments=world.gp_assignments,
            residences=world.residences,
            relationships=world.care_relationships,
            proxies=world.proxy_rights,
            opt_outs=world.core_journal_opt_outs,
        )
    finally:
        await conn.close()
