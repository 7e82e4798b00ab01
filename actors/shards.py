"""The gateway's link to the Ray cluster and its named, detached feed-shard actors."""
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


class ShardLink:
    """This process's handles to the shard actors.

    A crashed actor is Ray's to restart (``max_restarts=-1``). A restarted Ray head is not
    repairable from inside a driver: Ray exits a driver whose local raylet died as soon as it
    tries to disconnect, so the gateway reports ``ray`` down on ``/readyz`` and
    ``raygram stack up`` replaces the gateway process once the head is back.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.handles: list[ActorHandle] = []

    def _join(self) -> None:
        connect(self.settings)
        self.handles = ensure_shards(self.settings)

    async def start(self) -> None:
        # ray.init and actor lookup block; keep them off the event loop.
        await asyncio.get_running_loop().run_in_executor(None, self._join)

    async def probe(self, timeout: float) -> list[dict]:
        pings = asyncio.gather(*(h.ping.remote() for h in self.handles))
        return list(await asyncio.wait_for(pings, timeout))
