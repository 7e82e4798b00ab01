"""How close a reader is to each author they read, cached per reader for the ranked feed.

Read through from Neo4j (graph/posts.affinities) for the authors not cached yet, kept for
``AFFINITY_TTL_S``. Nobody invalidates it: a like or a follow-back shows in the ranking within
the TTL, which is soon enough for a nudge to an order, and saves a graph query per first page.
"""
from __future__ import annotations

from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from graph import posts

AFFINITY_TTL_S = 600


class Affinities:
    def __init__(self, redis: Redis, driver: AsyncDriver, ttl_s: int = AFFINITY_TTL_S) -> None:
        self.redis, self.driver, self.ttl_s = redis, driver, ttl_s

    async def of(self, viewer: int, authors: list[int]) -> dict[int, tuple[bool, int]]:
        """For each author: (do they follow the viewer back, how many of their posts the viewer liked)."""
        if not authors:
            return {}
        key = redis_keys.affinities(viewer)
        cached = await self.redis.hmget(key, [str(a) for a in authors])
        found: dict[int, tuple[bool, int]] = {}
        missing = []
        for author, raw in zip(authors, cached):
            if raw is None:
                missing.append(author)
            else:
                mutual, _, likes = raw.partition(b":")
                found[author] = (mutual == b"1", int(likes))
        if missing:
            fetched = await posts.affinities(self.driver, viewer, missing)
            if fetched:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.hset(key, mapping={str(a): f"{int(m)}:{n}" for a, (m, n) in fetched.items()})
                    # The whole hash lapses together: its oldest field is at most TTL old.
                    pipe.expire(key, self.ttl_s, nx=True)
                    await pipe.execute()
            found.update(fetched)
        return found
