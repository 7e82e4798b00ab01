"""Change marks: what lets a gateway reuse something it read (a feed page, a notification page, a
profile grid) until what it depends on changes, by comparing the marks it was kept under with
the marks now, read in the same round trip as the cached data.

A mark is a fresh random value, never a counter: a mark that expired and was set again can never
equal one a gateway still holds, so expiry only ever costs a cache miss. Every mover calls after
its graph write, and every reader reads the marks before the graph, so what a reader stores is
kept under marks no newer than what it saw.
"""
from __future__ import annotations

import secrets
from typing import Iterable

from redis.asyncio import Redis

# Marks that stop changing are forgotten after this: only a cache miss then.
MARK_TTL_S = 24 * 3600


class ChangeMarks:
    """Base of the mark stores (stores/feed_marks.py, notification_marks.py, profile_marks.py)."""

    def __init__(self, redis: Redis, ttl_s: int = MARK_TTL_S) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def _move(self, keys: Iterable[str]) -> None:
        """Every key moves off its old value, in one round trip."""
        keys = sorted(set(keys))
        if not keys:
            return
        mark = secrets.token_hex(8)     # one fresh value per change: each key moves off its old one
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, mark, ex=self.ttl_s)
            await pipe.execute()
