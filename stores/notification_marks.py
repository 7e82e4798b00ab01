"""Change marks of notification lists (core/redis_keys.notifications_mark): what lets a gateway
reuse a recipient's notification page it read from Neo4j until that list changes
(usecases/notify.py), as stores/feed_marks.py does for feeds; how marks work:
stores/change_marks.py.
"""
from __future__ import annotations

from redis.asyncio.client import Pipeline

from core import redis_keys
from stores.change_marks import ChangeMarks


class NotificationMarks(ChangeMarks):
    async def changed(self, recipient: int) -> None:
        """The recipient's notifications changed (called after the graph write)."""
        await self._move([redis_keys.notifications_mark(recipient)])

    @staticmethod
    def queue_of(pipe: Pipeline, recipient: int) -> None:
        """The recipient's mark, in a caller's pipeline (its reply: bytes, or None)."""
        pipe.get(redis_keys.notifications_mark(recipient))
