"""Each reader's liked set in Redis: ``liked_by_me`` for a page of posts without asking Neo4j.

Invariant: kept in step with the graph by the like and unlike use cases (usecases/engagement.py),
right after the graph write.
"""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys


class LikedPosts:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, viewer: int, post_id: int) -> None:
        await self.redis.sadd(redis_keys.liked_posts(viewer), str(post_id))

    async def remove(self, viewer: int, post_id: int) -> None:
        await self.redis.srem(redis_keys.liked_posts(viewer), str(post_id))

    async def likers_among(self, post_id: int, viewers: list[int]) -> list[bool]:
        """For each of ``viewers``, in order: whether they like the post (one round trip)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for viewer in viewers:
                pipe.sismember(redis_keys.liked_posts(viewer), str(post_id))
            return [bool(f) for f in await pipe.execute()]

    async def which(self, viewer: int, post_ids: list[int]) -> list[bool]:
        """For each of ``post_ids``, in order: whether the viewer likes it (one round trip)."""
        if not post_ids:
            return []
        return self.which_reply(await self.redis.smismember(redis_keys.liked_posts(viewer), [str(i) for i in post_ids]))

    @staticmethod
    def queue_which(pipe: Pipeline, viewer: int, post_ids: list[int]) -> None:
        """``which`` in a caller's pipeline (``post_ids`` not empty); its reply goes to ``which_reply``."""
        pipe.smismember(redis_keys.liked_posts(viewer), [str(i) for i in post_ids])

    @staticmethod
    def which_reply(found: list) -> list[bool]:
        return [bool(f) for f in found]
