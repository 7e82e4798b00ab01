"""Post bodies for gateway/event_views.py (the live renderer's reads), from the post-body cache.

Hydration itself (bodies plus what depends on the viewer) is usecases/hydration.py.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from stores.post_bodies import PostBodies


async def post_bodies(redis: Redis, driver: AsyncDriver, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The bodies of the posts that exist: one MGET, misses from Neo4j in one query (then cached)."""
    return await PostBodies(redis, driver).get(post_ids)
