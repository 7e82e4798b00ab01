"""The gateway's link to the Ray cluster and its named, detached feed-shard actors."""
from __future__ import annotations

import asyncio
import time

import ray
from ray.actor import ActorHandle

from core import ray_env, redis_keys
from core.config import Settings

from .feed_shard import NAME_PREFIX, SHARD_PROTOCOL, FeedShard, shard_actor_name
from feed.sharding import shard_of

# How long a gateway trusts its cached shard count before asking Redis again.
SHARD_COUNT_TTL_S = 1.0


def connect(settings: Settings) -> None:
    """Join the cluster as a driver, presenting its token (blocking; once per process)."""
    if ray.is_initialized():
        return
    ray_env.become_client(settings)
    ray.init(address=settings.ray_address, namespace=settings.ray_namespace,
             logging_level="WARNING", log_to_driver=False)


def stop_named_actors(namespace: str, keep=lambda name: False) -> list[str]:
    """Stop the named actors of a namespace (blocking), except those ``keep`` spares."""
    doomed = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
              if a["namespace"] == namespace and not keep(a["name"])]
    for name in doomed:
        try:
            ray.kill(ray.get_actor(name, namespace=namespace), no_restart=True)
        except ValueError:
            pass   # already gone
    return doomed


def retire_stale_shards(settings: Settings) -> list[str]:
    """Stop shard actors left by an older protocol version (blocking). Their state is a cache."""
    current = f"{NAME_PREFIX}{SHARD_PROTOCOL}-"
    return stop_named_actors(settings.ray_namespace,
                             keep=lambda name: not name.startswith(NAME_PREFIX) or name.startswith(current))


def creation_args(shard: int, settings: Settings) -> tuple[int, Settings]:
    """A shard actor's constructor arguments. Its settings travel without secrets: Ray keeps
    creation arguments where any process of the cluster can read them; the actor takes the
    secrets from its own node (FeedShard.__init__)."""
    return shard, settings.without_secrets()


def ensure_shards(settings: Settings, count: int) -> list[ActorHandle]:
    """Get or create shard actors 0..count-1 (blocking). Idempotent across gateway processes."""
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
            # One shard per node before two on any: more nodes, more memory for timelines.
            scheduling_strategy="SPREAD",
        ).remote(*creation_args(i, settings))
        for i in range(count)
    ]


class ShardLink:
    """This process's handles to the shard actors, following the shard count in Redis.

    A crashed actor is Ray's to restart (``max_restarts=-1``). A restarted Ray head is not
    repairable from inside a driver: Ray exits a driver whose local raylet died as soon as it
    tries to disconnect, so the gateway reports ``ray`` down on ``/readyz`` and
    ``raygram stack up`` replaces the gateway process once the head is back.
    """

    def __init__(self, settings: Settings, redis) -> None:
        self.settings = settings
        self.redis = redis
        self.handles: list[ActorHandle] = []
        self._checked = 0.0

    async def _ensure(self, count: int) -> None:
        # ray.init and actor lookup block; keep them off the event loop.
        def join() -> list[ActorHandle]:
            connect(self.settings)
            return ensure_shards(self.settings, count)
        self.handles = await asyncio.get_running_loop().run_in_executor(None, join)

    async def start(self) -> None:
        count = await self.count()

        def join() -> list[ActorHandle]:
            connect(self.settings)
            retire_stale_shards(self.settings)
            return ensure_shards(self.settings, count)
        self.handles = await asyncio.get_running_loop().run_in_executor(None, join)

    async def count(self) -> int:
        value = await self.redis.get(redis_keys.shard_count())
        return int(value) if value else self.settings.feed_shards

    async def current(self) -> list[ActorHandle]:
        if time.monotonic() - self._checked > SHARD_COUNT_TTL_S:
            count = await self.count()
            if count != len(self.handles):
                await self._ensure(count)
            self._checked = time.monotonic()
        return self.handles

    async def for_user(self, user_id: int) -> ActorHandle:
        handles = await self.current()
        return handles[shard_of(user_id, len(handles))]

    async def probe(self, timeout: float) -> list[dict]:
        pings = asyncio.gather(*(h.ping.remote() for h in self.handles))
        return list(await asyncio.wait_for(pings, timeout))
