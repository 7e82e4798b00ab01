"""Change marks of notification lists (core/redis_keys.notifications_mark): what lets a gateway
reuse a recipient's notification page it read from Neo4j until that list changes
(usecases/notify.py), as stores/feed_marks.py does for feeds.

A mark is a fresh random value, never a counter: a mark that expired and was set again can never
equal one a gateway still holds.
"""
from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys

# Marks of lists that stop changing are forgotten after this: only a cache miss then.
MARK_TTL_S = 24 * 3600


class NotificationMarks:
    def __init__(self, redis: Redis, ttl_s: int = MARK_TTL_S) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def changed(self, recipient: int) -> None:
        """The recipient's notifications changed (called after the graph write)."""
        await self.redis.set(redis_keys.notifications_mark(recipient), secrets.token_hex(8), ex=self.ttl_s)

    @staticmethod
    def queue_of(pipe: Pipeline, recipient: int) -> None:
        """The recipient's mark, in a caller's pipeline (its reply: bytes, or None)."""
        pipe.get(redis_keys.notifications_mark(recipient))
