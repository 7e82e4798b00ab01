"""Fixed-window attempt counters in Redis (login and sign-up limits).

An attempt is reserved *before* the expensive check, atomically, so parallel requests cannot
slip past the limit; a successful attempt gives its reservation back.
"""
from __future__ import annotations

from typing import Callable

from redis.asyncio import Redis

from core.errors import RateLimited


async def reserve(redis: Redis, key: str, limit: int, window_s: int, message: str) -> None:
    """Count one attempt; refuse with 429 (Retry-After = rest of the window) past ``limit``."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        # The window starts with the first attempt and is not extended by later ones.
        pipe.expire(key, window_s, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    if count > limit:
        raise RateLimited(message, retry_after=ttl if ttl > 0 else window_s)


# DECR only while the window lasts: on an expired key it would create a counter at -1 with no
# expiry, a permanent extra attempt.
_RELEASE = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0"


async def release(redis: Redis, key: str) -> None:
    """Give back one reserved attempt (it succeeded)."""
    await redis.eval(_RELEASE, 1, key)


class AttemptLimit:
    """One family of counters: at most ``limit`` attempts per subject (say, a client address) per
    ``window_s``; past it, 429 with ``message``."""

    def __init__(self, redis: Redis, key: Callable[[str], str], limit: int, window_s: int, message: str) -> None:
        self.redis, self.key, self.limit, self.window_s, self.message = redis, key, limit, window_s, message

    async def reserve(self, subject: str) -> None:
        await reserve(self.redis, self.key(subject), self.limit, self.window_s, self.message)
