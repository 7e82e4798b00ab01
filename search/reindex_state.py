"""Which reindexes are in progress: the targets indexers must also write, and the outbox
position a reindex will replay from. Trusted only while the reindex lock is held, so a reindex
that died (its lock expired) stops receiving writes and stops holding back the outbox's trim."""
from __future__ import annotations

import json

from redis.asyncio import Redis

from core import redis_keys


async def register(redis: Redis, prefix: str, alias: str, target: str, since: str) -> None:
    await redis.hset(redis_keys.search_reindex(prefix), alias, json.dumps({"target": target, "since": since}))


async def unregister(redis: Redis, prefix: str, alias: str) -> None:
    await redis.hdel(redis_keys.search_reindex(prefix), alias)


async def active(redis: Redis, prefix: str) -> dict[str, dict]:
    """alias -> {target, since} of the live reindex (empty, and cleared, if none holds the lock)."""
    key = redis_keys.search_reindex(prefix)
    entries = await redis.hgetall(key)
    if not entries:
        return {}
    if not await redis.exists(redis_keys.search_reindex_lock(prefix)):
        await redis.delete(key)
        return {}
    return {alias.decode(): json.loads(raw) for alias, raw in entries.items()}
