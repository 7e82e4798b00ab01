"""Change marks of profile grids (core/redis_keys.author_posts_mark, pair_mark): what lets a
gateway reuse an account's post ids and a viewer's right to see them, read from Neo4j, until
something they depend on changes (usecases/author_posts.py), as stores/feed_marks.py does for
feeds and stores/notification_marks.py for notifications.

- The author's mark moves after every post published, made ready, failed or deleted, a privacy
  change and the account's deletion (usecases/publisher.py, posts.py, video_posts.py,
  accounts.py, account_erasure.py).
- A pair's mark moves after every follow, unfollow, accepted request, removed follower, block,
  unblock, mute and unmute between the two (usecases/social.py, safety.py).

How marks work, and why movers call after the graph write: stores/change_marks.py.
"""
from __future__ import annotations

from typing import Iterable

from redis.asyncio.client import Pipeline

from core import redis_keys
from stores.change_marks import ChangeMarks


class ProfileMarks(ChangeMarks):
    async def author_changed(self, author_id: int) -> None:
        """What the account's grid shows changed (called after the graph write)."""
        await self._move([redis_keys.author_posts_mark(author_id)])

    async def pairs_changed(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Who may see whose posts may have changed between each pair (after the graph write)."""
        await self._move(redis_keys.pair_mark(a, b) for a, b in pairs)

    @staticmethod
    def queue_of(pipe: Pipeline, author_id: int, viewer_id: int) -> None:
        """The author's mark, then the pair's, in a caller's pipeline (replies: bytes or None)."""
        pipe.get(redis_keys.author_posts_mark(author_id))
        pipe.get(redis_keys.pair_mark(author_id, viewer_id))
