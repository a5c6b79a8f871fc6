"""Put a synthetic world into the registry tables (the demo, tests and benchmarks use it)."""

from __future__ import annotations

from schemas.errors import ConfigError
from streams.db import connect
from streams.registries.store import replace_registry
from streams.settings import Settings
from streams.synthetic import SyntheticWorld


def refuse_in_production(settings: Settings) -> None:
    """The synthetic registry replaces the real address register: ``samflyt demo`` and
    ``registry seed-synthetic`` are for development and test deployments only."""
    if settings.environment == "production":
        raise ConfigError(
            "SAMFLYT_ENVIRONMENT",
            "production: the synthetic registry would replace the real one (demo and"
            " seed-synthetic are for development and test deployments)",
        )


async def seed_registry(settings: Settings, world: SyntheticWorld) -> None:
    """Replace the registry tables with a synthetic world (refused in production)."""
    refuse_in_production(settings)
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
