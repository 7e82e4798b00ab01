"""The feed-shard actor: one per shard of users, holding their home timelines in memory.

Its state is a cache of the durable record in Neo4j: an actor that restarts (Ray brings it back,
``max_restarts=-1``) starts empty and rebuilds timelines on demand. Methods are idempotent, so
Ray may retry them after a crash (``max_task_retries=-1``).
"""
from __future__ import annotations

import os
import time

import ray


@ray.remote
class FeedShard:
    def __init__(self, shard: int) -> None:
        self.shard = shard
        self.started_at = time.time()
        # user id -> timeline; filled by the feed engine.
        self.timelines: dict[int, list[int]] = {}

    async def ping(self) -> dict:
        return {"shard": self.shard, "pid": os.getpid(), "node": ray.get_runtime_context().get_node_id(),
                "started_at": self.started_at, "timelines": len(self.timelines)}
