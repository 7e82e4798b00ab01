"""Joining the Ray cluster and finding (or creating) the named, detached feed-shard actors."""
from __future__ import annotations

import asyncio

import ray
from ray.actor import ActorHandle

from core.config import Settings

from .feed_shard import FeedShard


def shard_actor_name(shard: int) -> str:
    return f"feed-shard-{shard}"


def connect(settings: Settings) -> None:
    """Join the cluster as a driver (blocking; once per process)."""
    if ray.is_initialized():
        return
    ray.init(address=settings.ray_address, namespace=settings.ray_namespace,
             logging_level="WARNING", log_to_driver=False)


def ensure_shards(settings: Settings) -> list[ActorHandle]:
    """Get or create the N shard actors (blocking). Idempotent across gateway processes."""
    return [
        FeedShard.options(
            name=shard_actor_name(i),
            namespace=settings.ray_namespace,
            lifetime="detached",
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=-1,
            # Shards are I/O-bound coordinators; they must not starve tasks of the 2 CPUs.
            num_cpus=0,
        ).remote(i)
        for i in range(settings.feed_shards)
    ]


async def probe(handles: list[ActorHandle]) -> list[dict]:
    return list(await asyncio.gather(*(h.ping.remote() for h in handles)))
