"""Change marks of home feeds (core/redis_keys.feed_mark, pulled_mark): what lets a gateway reuse
a feed page it read from a shard actor until the feed changes (feed/read_cache.py), instead of
paying an actor call (about 2.4 ms of CPU, actors/shard_reads.py) for every page.

A mark is a fresh random value, never a counter: a mark that expired and was set again can never
equal one a gateway still holds, so expiry only ever costs a cache miss.
"""
from __future__ import annotations

import secrets
from typing import Iterable, Sequence

from redis.asyncio import Redis

from core import redis_keys

# Marks of feeds that stop changing are forgotten after this; a reader whose mark expired only
# reads from the shard once more.
MARK_TTL_S = 24 * 3600

Marks = tuple[bytes | None, ...]    # the reader's mark, then the pulled accounts' marks in order


class FeedMarks:
    def __init__(self, redis: Redis, ttl_s: int = MARK_TTL_S) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def changed(self, readers: Iterable[int]) -> None:
        """These readers' feeds changed (called after the change, by the shard that made it)."""
        await self._set([redis_keys.feed_mark(r) for r in readers])

    async def pulled_changed(self, author_id: int) -> None:
        """A pulled account posted or deleted: every feed that merges it at read changed."""
        await self._set([redis_keys.pulled_mark(author_id)])

    async def _set(self, keys: list[str]) -> None:
        if not keys:
            return
        mark = secrets.token_hex(8)   # one fresh value per change is enough: each key moves off its old one
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, mark, ex=self.ttl_s)
            await pipe.execute()

    async def of(self, reader: int, pulled: Sequence[int]) -> Marks:
        """The reader's mark and those of the pulled accounts, in one round trip."""
        keys = [redis_keys.feed_mark(reader), *(redis_keys.pulled_mark(a) for a in pulled)]
        return tuple(await self.redis.mget(keys))
