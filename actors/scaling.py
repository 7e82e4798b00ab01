"""`raygram shards scale N`: change the number of feed-shard actors while serving.

1. the actors 0..N-1 exist; 2. the shard count in Redis becomes N (gateways and shards follow
within ``SHARD_COUNT_TTL_S``); 3. every old shard hands the readers it no longer owns to their
new shard (timelines move, nothing is rebuilt); 4. shards beyond N are stopped. A read that
reaches a new owner before its readers arrive rebuilds them from Neo4j, and the adopted state
then merges in: no feed entry is lost either way.
"""
from __future__ import annotations

import asyncio

import ray

from core import redis_keys
from core.config import Settings

from .feed_shard import shard_actor_name
from .shards import SHARD_COUNT_TTL_S, connect, ensure_shards


async def scale(settings: Settings, redis, new_count: int) -> dict:
    if new_count < 1:
        raise ValueError("a feed needs at least one shard")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, connect, settings)
    old_value = await redis.get(redis_keys.shard_count())
    old_count = int(old_value) if old_value else settings.feed_shards
    handles = await loop.run_in_executor(None, ensure_shards, settings, max(old_count, new_count))
    await redis.set(redis_keys.shard_count(), new_count)
    await asyncio.sleep(SHARD_COUNT_TTL_S + 0.5)

    moved = 0
    exports = await asyncio.gather(*(h.export_unowned.remote(new_count) for h in handles))
    adoptions = []
    for groups in exports:
        for target, readers in groups.items():
            adoptions.append(handles[target].adopt.remote(readers))
            moved += len(readers)
    await asyncio.gather(*adoptions)

    for surplus in handles[new_count:]:
        ray.kill(surplus, no_restart=True)
    return {"from": old_count, "to": new_count, "readers_moved": moved}


async def status(settings: Settings, redis) -> dict:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, connect, settings)
    value = await redis.get(redis_keys.shard_count())
    count = int(value) if value else settings.feed_shards
    handles = [ray.get_actor(shard_actor_name(i), namespace=settings.ray_namespace) for i in range(count)]
    return {"shards": count, "stats": list(await asyncio.gather(*(h.stats.remote() for h in handles)))}
