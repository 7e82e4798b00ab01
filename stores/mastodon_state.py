"""What the Mastodon-compatible API keeps of its own, in Redis: the status each Idempotency-Key
created (an hour), and each account's read markers."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from redis.asyncio import Redis

from core import redis_keys

IDEMPOTENCY_TTL_S = 3600


class IdempotencyKeys:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _key(user_id: int, key: str) -> str:
        return redis_keys.mastodon_idempotency(user_id, hashlib.sha256(key.encode("utf-8", "surrogateescape"))
                                               .hexdigest())

    async def created(self, user_id: int, key: str) -> int | None:
        """The status an earlier request with this key created, if any."""
        value = await self.redis.get(self._key(user_id, key))
        return int(value) if value is not None else None

    async def remember(self, user_id: int, key: str, status_id: int) -> None:
        await self.redis.set(self._key(user_id, key), status_id, ex=IDEMPOTENCY_TTL_S)


class Markers:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, user_id: int, timelines: list[str]) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hmget(redis_keys.mastodon_markers(user_id), timelines)
        return {t: json.loads(v) for t, v in zip(timelines, raw) if v is not None}

    async def set(self, user_id: int, timeline: str, last_read_id: int, updated_at: str) -> dict[str, Any]:
        """The marker after the change; its version counts the changes."""
        key = redis_keys.mastodon_markers(user_id)
        previous = await self.redis.hget(key, timeline)
        version = json.loads(previous)["version"] + 1 if previous else 1
        marker = {"last_read_id": str(last_read_id), "version": version, "updated_at": updated_at}
        await self.redis.hset(key, timeline, json.dumps(marker))
        return marker
