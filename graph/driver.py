"""The Neo4j driver: opened once per gateway process, shared by every graph module."""
from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase

from core.config import Settings


def open_driver(settings: Settings) -> AsyncDriver:
    return AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password),
        # Fail fast when Neo4j is down: requests get a 503, not a hung socket.
        connection_timeout=5.0,
        connection_acquisition_timeout=10.0,
        max_connection_pool_size=50,
        # Server notifications ("constraint already exists", "unknown property" before the first
        # post) are planner chatter, not errors; failures still raise.
        notifications_min_severity="OFF",
    )


async def probe(driver: AsyncDriver) -> None:
    await driver.verify_connectivity()
