"""A periodic job's lock (stores/sweep_locks.py) on the real Redis: one taker per interval, free
again once the interval has passed."""
import asyncio

from core import redis_keys
from core.redis_client import open_redis
from stores.sweep_locks import SweepLocks


async def test_one_taker_per_interval(settings, unique):
    redis = open_redis(settings.redis_url)
    name = f"test-{unique}"
    try:
        locks = SweepLocks(redis)
        assert await locks.take(name, 0.3)
        assert not await locks.take(name, 0.3)
        await asyncio.sleep(0.4)
        assert await locks.take(name, 0.3)
    finally:
        await redis.delete(redis_keys.sweep_lock(name))
        await redis.aclose()
