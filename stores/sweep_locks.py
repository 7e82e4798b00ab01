"""Who runs a periodic job this interval: a Redis key per job, taken with SET NX by the one
gateway process that runs it, and left to expire with the interval (never released, so a
process that takes it and dies still holds the others back for one interval only)."""
from __future__ import annotations

from redis.asyncio import Redis

from core import redis_keys


class SweepLocks:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def take(self, name: str, hold_s: float) -> bool:
        """True for the one caller per ``hold_s`` seconds (across every process)."""
        return bool(await self.redis.set(redis_keys.sweep_lock(name), "1", nx=True, px=max(1, int(hold_s * 1000))))
