"""Change marks of profile grids (core/redis_keys.author_posts_mark, pair_mark): what lets a
gateway reuse an account's post ids and a viewer's right to see them, read from Neo4j, until
something they depend on changes (usecases/author_posts.py), as stores/feed_marks.py does for
feeds and stores/notification_marks.py for notifications.

- The author's mark moves after every post published, made ready, failed or deleted, a privacy
  change and the account's deletion (usecases/publisher.py, posts.py, video_posts.py,
  accounts.py, account_erasure.py).
- A pair's mark moves after every follow, unfollow, accepted request, removed follower, block,
  unblock, mute and unmute between the two (usecases/social.py, safety.py).

Every mover calls after its graph write, and readers read the marks before the graph: a page
read from the graph is stored under marks no newer than what it saw. A mark is a fresh random
value, never a counter: a mark that expired and was set again can never equal one a gateway
still holds.
"""
from __future__ import annotations

import secrets
from typing import Iterable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys

# Marks that stop changing are forgotten after this: only a cache miss then.
MARK_TTL_S = 24 * 3600


class ProfileMarks:
    def __init__(self, redis: Redis, ttl_s: int = MARK_TTL_S) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def author_changed(self, author_id: int) -> None:
        """What the account's grid shows changed (called after the graph write)."""
        await self.redis.set(redis_keys.author_posts_mark(author_id), secrets.token_hex(8), ex=self.ttl_s)

    async def pairs_changed(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Who may see whose posts may have changed between each pair (after the graph write)."""
        keys = sorted({redis_keys.pair_mark(a, b) for a, b in pairs})
        if not keys:
            return
        mark = secrets.token_hex(8)     # one fresh value per change: each key moves off its old one
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, mark, ex=self.ttl_s)
            await pipe.execute()

    @staticmethod
    def queue_of(pipe: Pipeline, author_id: int, viewer_id: int) -> None:
        """The author's mark, then the pair's, in a caller's pipeline (replies: bytes or None)."""
        pipe.get(redis_keys.author_posts_mark(author_id))
        pipe.get(redis_keys.pair_mark(author_id, viewer_id))
