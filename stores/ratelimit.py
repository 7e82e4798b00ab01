"""Fixed-window counters in Redis: attempts (login and sign-up limits) and the Mastodon API's
request windows.

An attempt is reserved *before* the expensive check, atomically, so parallel requests cannot
slip past the limit; a successful attempt gives its reservation back.
"""
from __future__ import annotations

from typing import Callable

from redis.asyncio import Redis

from core import redis_keys
from core.errors import RateLimited


async def count(redis: Redis, key: str, window_s: int) -> tuple[int, int]:
    """Count one in a fixed window: the count so far and the seconds the window has left."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        # The window starts with the first count and is not extended by later ones.
        pipe.expire(key, window_s, nx=True)
        pipe.ttl(key)
        n, _, ttl = await pipe.execute()
    return int(n), int(ttl) if ttl and ttl > 0 else window_s


def request_key(subject: str) -> str:
    """The window of ``subject``'s Mastodon API requests (a prefix, for a subject's start)."""
    return redis_keys.mastodon_requests(subject)


async def count_request(redis: Redis, subject: str, window_s: int) -> tuple[int, int]:
    """One Mastodon API request of ``subject`` (gateway/mastodon/ratelimit.subject)."""
    return await count(redis, request_key(subject), window_s)


async def reserve(redis: Redis, key: str, limit: int, window_s: int, message: str) -> None:
    """Count one attempt; refuse with 429 (Retry-After = rest of the window) past ``limit``."""
    n, left_s = await count(redis, key, window_s)
    if n > limit:
        raise RateLimited(message, retry_after=left_s)


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
