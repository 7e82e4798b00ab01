"""The read-through step the Redis caches of JSON entities share (post bodies, user cards): the
values an MGET found, the misses fetched from the graph and written back with a TTL."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

import orjson
from redis.asyncio import Redis


async def read_through(redis: Redis, key_of: Callable[[int], str], ids: list[int], cached: list[bytes | None],
                       fetch: Callable[[list[int]], Awaitable[dict[int, Any]]], ttl_s: int) -> dict[int, Any]:
    """``cached`` is the MGET reply for ``ids``; ``fetch(missing)`` returns those that exist."""
    found: dict[int, Any] = {}
    missing = []
    for ident, raw in zip(ids, cached):
        if raw is None:
            missing.append(ident)
        else:
            found[ident] = orjson.loads(raw)
    if missing:
        fetched = await fetch(missing)
        if fetched:
            async with redis.pipeline(transaction=False) as pipe:
                for ident, value in fetched.items():
                    pipe.set(key_of(ident), orjson.dumps(value), ex=ttl_s)
                await pipe.execute()
        found.update(fetched)
    return found
