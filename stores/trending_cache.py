"""Trending hashtags, cached in Redis for ``ttl_s`` so the aggregation runs at most once per
window, limit and interval across every gateway process (0 turns the cache off)."""
from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from core import redis_keys


class TrendingCache:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def get(self, window_s: int, baseline_s: int, limit: int) -> Any | None:
        if not self.ttl_s:
            return None
        cached = await self.redis.get(redis_keys.trending_cache(window_s, baseline_s, limit))
        return json.loads(cached) if cached is not None else None

    async def put(self, window_s: int, baseline_s: int, limit: int, result: Any) -> None:
        if self.ttl_s:
            await self.redis.set(redis_keys.trending_cache(window_s, baseline_s, limit), json.dumps(result),
                                 ex=self.ttl_s)
