"""Bearer tokens: random and opaque to clients, stored only as their SHA-256 in Redis.

A leaked Redis dump therefore holds no usable token. Each session expires on its own; logout
deletes exactly the presented token.
"""
from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis

from core import redis_keys


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def issue(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_keys.session(digest), user_id, ex=self.ttl_s)
            pipe.sadd(redis_keys.user_sessions(user_id), digest)
            pipe.expire(redis_keys.user_sessions(user_id), self.ttl_s)
            await pipe.execute()
        return token

    async def resolve(self, token: str) -> int | None:
        value = await self.redis.get(redis_keys.session(_digest(token)))
        return int(value) if value is not None else None

    async def revoke(self, token: str, user_id: int) -> None:
        digest = _digest(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(redis_keys.session(digest))
            pipe.srem(redis_keys.user_sessions(user_id), digest)
            await pipe.execute()
