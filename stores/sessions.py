"""Bearer tokens: random and opaque to clients, stored only as their SHA-256 in Redis.

A leaked Redis dump therefore holds no usable token. Each session expires on its own; logout
deletes exactly the presented token and tells every gateway process, whose sockets opened with it
close (live/hub.py).
"""
from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis

from core import redis_keys

from core.live_protocol import revocation


def digest(token: str) -> str:
    """What Redis and the live hub know a token by."""
    # surrogateescape: a header with bytes that are not UTF-8 must hash, not raise.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def issue(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        session = digest(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_keys.session(session), user_id, ex=self.ttl_s)
            pipe.sadd(redis_keys.user_sessions(user_id), session)
            pipe.expire(redis_keys.user_sessions(user_id), self.ttl_s)
            await pipe.execute()
        return token

    async def resolve(self, token: str) -> int | None:
        value = await self.redis.get(redis_keys.session(digest(token)))
        return int(value) if value is not None else None

    async def remaining_s(self, token: str) -> float | None:
        """Seconds until the session expires, or None if it no longer exists."""
        ms = await self.redis.pttl(redis_keys.session(digest(token)))
        return ms / 1000 if ms >= 0 else None

    async def revoke(self, token: str, user_id: int) -> None:
        session = digest(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(redis_keys.session(session))
            pipe.srem(redis_keys.user_sessions(user_id), session)
            # After the delete, in the same transaction: a socket that misses this message still
            # finds the session gone at its next check.
            pipe.publish(redis_keys.live_channel(user_id), revocation(user_id, session))
            await pipe.execute()

    async def revoke_all(self, user_id: int) -> int:
        """End every session of an account (its deletion): each token stops working and its open
        sockets close, as on a logout; how many there were."""
        sessions = [s.decode() for s in await self.redis.smembers(redis_keys.user_sessions(user_id))]
        async with self.redis.pipeline(transaction=True) as pipe:
            for session in sessions:
                pipe.delete(redis_keys.session(session))
                pipe.publish(redis_keys.live_channel(user_id), revocation(user_id, session))
            pipe.delete(redis_keys.user_sessions(user_id))
            await pipe.execute()
        return len(sessions)
