"""Frozen ranked-feed passes: the order a pass ranked at its first page, kept in Redis so later
pages read the same order (neither new posts nor changing counts repeat or skip a post).

A snapshot is keyed by its viewer and a random id: another viewer's id finds nothing, and ids
cannot be guessed.
"""
from __future__ import annotations

import secrets

from redis.asyncio import Redis

from core import redis_keys

SNAPSHOT_TTL_S = 30 * 60     # how long a client may take to page through one ranked pass


class FeedSnapshots:
    def __init__(self, redis: Redis, ttl_s: int = SNAPSHOT_TTL_S) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def save(self, viewer: int, order: list[int], floor: int | None) -> int:
        """Keep ``order`` (post ids, best first; not empty) and the recency ``floor`` the pass
        continues below; the new snapshot's id."""
        # Random, not a time-ordered id: a cursor must not be guessable (the key also names the viewer).
        snapshot = secrets.randbits(63)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(redis_keys.feed_snapshot(viewer, snapshot), *order)
            pipe.expire(redis_keys.feed_snapshot(viewer, snapshot), self.ttl_s)
            pipe.set(redis_keys.feed_snapshot_floor(viewer, snapshot), floor or 0, ex=self.ttl_s)
            await pipe.execute()
        return snapshot

    async def read(self, viewer: int, snapshot: int, offset: int, limit: int) -> tuple[list[int], int, int] | None:
        """(ids from ``offset``, the snapshot's length, its floor, 0 for none), or None once it
        expired (or is not this viewer's)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.lrange(redis_keys.feed_snapshot(viewer, snapshot), offset, offset + limit - 1)
            pipe.llen(redis_keys.feed_snapshot(viewer, snapshot))
            pipe.get(redis_keys.feed_snapshot_floor(viewer, snapshot))
            ids, total, floor = await pipe.execute()
        if floor is None:
            return None
        return [int(i) for i in ids], total, int(floor)
