"""Upload quotas: posts per UTC day and per UTC month, counted atomically in Redis.

A post reserves its slot in both periods before any work starts (so parallel uploads cannot
overshoot) and gives it back if the upload fails.
"""
from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from core import redis_keys
from core.errors import RateLimited
from core.quota_periods import periods


_GIVE_BACK = """
for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 and tonumber(redis.call('GET', key)) > 0 then redis.call('DECR', key) end
end
return 0
"""


@dataclass(frozen=True)
class Reservation:
    keys: tuple[str, ...]


class PostQuotas:
    def __init__(self, redis: Redis, per_day: int, per_month: int) -> None:
        self.redis, self.per_day, self.per_month = redis, per_day, per_month

    async def reserve(self, user_id: int, now_ms: int) -> Reservation:
        """One post's slot in its day and its month, or 429 ``quota_exceeded`` (nothing kept)."""
        day, month = periods(now_ms)
        keys = (redis_keys.post_quota(user_id, day.name), redis_keys.post_quota(user_id, month.name))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(keys[0])
            pipe.expire(keys[0], day.seconds_left + 3600)
            pipe.incr(keys[1])
            pipe.expire(keys[1], month.seconds_left + 3600)
            day_count, _, month_count, _ = await pipe.execute()
        if day_count > self.per_day or month_count > self.per_month:
            await self.release(Reservation(keys))
            which, limit, wait = ("day", self.per_day, day.seconds_left) if day_count > self.per_day else \
                ("month", self.per_month, month.seconds_left)
            raise RateLimited(f"You can post {limit} times a {which}; try again later.", code="quota_exceeded",
                              retry_after=wait)
        return Reservation(keys)

    async def give_back(self, user_id: int, at_ms: int) -> None:
        """Return the slot a post reserved at ``at_ms`` (a video that failed to transcode, long
        after its upload was answered): only in periods whose counters still exist, so a slot of
        a period already over is not turned into a counter of -1 that never expires."""
        day, month = periods(at_ms)
        keys = [redis_keys.post_quota(user_id, day.name), redis_keys.post_quota(user_id, month.name)]
        await self.redis.eval(_GIVE_BACK, len(keys), *keys)

    async def release(self, reservation: Reservation) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in reservation.keys:
                pipe.decr(key)
            await pipe.execute()
