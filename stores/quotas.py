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


@dataclass(frozen=True)
class Reservation:
    keys: tuple[str, ...]


async def reserve(redis: Redis, user_id: int, now_ms: int, per_day: int, per_month: int) -> Reservation:
    day, month = periods(now_ms)
    keys = (redis_keys.post_quota(user_id, day.name), redis_keys.post_quota(user_id, month.name))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(keys[0])
        pipe.expire(keys[0], day.seconds_left + 3600)
        pipe.incr(keys[1])
        pipe.expire(keys[1], month.seconds_left + 3600)
        day_count, _, month_count, _ = await pipe.execute()
    if day_count > per_day or month_count > per_month:
        await release(redis, Reservation(keys))
        which, limit, wait = ("day", per_day, day.seconds_left) if day_count > per_day else \
            ("month", per_month, month.seconds_left)
        raise RateLimited(f"You can post {limit} times a {which}; try again later.", code="quota_exceeded",
                          retry_after=wait)
    return Reservation(keys)


async def release(redis: Redis, reservation: Reservation) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        for key in reservation.keys:
            pipe.decr(key)
        await pipe.execute()
