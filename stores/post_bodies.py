"""The post-body cache: a post as every viewer sees it (no viewer-specific fields), as JSON in
Redis for ``POST_BODY_TTL_S``, read through from Neo4j.

Invariant: whoever changes what a body says (delete; like and comment counts; the author's
privacy) forgets it here, so a read never shows a stale body for longer than that write takes.
"""
from __future__ import annotations

from typing import Any

import orjson
from neo4j import AsyncDriver
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys
from graph import posts

# A backstop only (writers delete on change): bounds what a missed delete can leave behind.
POST_BODY_TTL_S = 600
# Keys per DEL when an author's every post is forgotten: one command stays small however many
# posts an account has.
FORGET_BATCH = 1000


class PostBodies:
    def __init__(self, redis: Redis, driver: AsyncDriver, ttl_s: int = POST_BODY_TTL_S) -> None:
        self.redis, self.driver, self.ttl_s = redis, driver, ttl_s

    async def get(self, post_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The bodies of the posts that exist: one MGET, misses from Neo4j in one query (then cached)."""
        return await self.read_through(post_ids, await self.redis.mget([redis_keys.post_body(i) for i in post_ids]))

    def queue_get(self, pipe: Pipeline, post_ids: list[int]) -> None:
        """``get``'s MGET in a caller's pipeline (one round trip with its other reads); its reply
        goes to ``read_through``."""
        pipe.mget([redis_keys.post_body(i) for i in post_ids])

    async def read_through(self, post_ids: list[int], cached: list[bytes | None]) -> dict[int, dict[str, Any]]:
        """The bodies from an MGET's reply, the misses from Neo4j (then cached)."""
        bodies: dict[int, dict[str, Any]] = {}
        missing = []
        for post_id, raw in zip(post_ids, cached):
            if raw is None:
                missing.append(post_id)
            else:
                bodies[post_id] = orjson.loads(raw)
        if missing:
            fetched = await posts.get_bodies(self.driver, missing)
            if fetched:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for post_id, body in fetched.items():
                        pipe.set(redis_keys.post_body(post_id), orjson.dumps(body), ex=self.ttl_s)
                    await pipe.execute()
            bodies.update(fetched)
        return bodies

    async def forget(self, post_id: int) -> None:
        await self.redis.delete(redis_keys.post_body(post_id))

    async def forget_author(self, author_id: int) -> None:
        """Drop the cached bodies of every post of an account whose privacy changed: a body still
        saying "public" (or "private") would show (or hide) the post wrongly until it expired."""
        post_ids = await posts.ids_by_authors(self.driver, [author_id])
        for start in range(0, len(post_ids), FORGET_BATCH):
            await self.redis.delete(*(redis_keys.post_body(i) for i in post_ids[start:start + FORGET_BATCH]))
