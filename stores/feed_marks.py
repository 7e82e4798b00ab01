"""Change marks of home feeds (core/redis_keys.feed_mark, pulled_mark): what lets a gateway reuse
a feed page it read from a shard actor until the feed changes (feed/read_cache.py), instead of
paying an actor call (about 2.4 ms of CPU, actors/shard_reads.py) for every page; how marks
work: stores/change_marks.py.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from core import redis_keys
from stores.change_marks import ChangeMarks

Marks = tuple[bytes | None, ...]    # the reader's mark, then the pulled accounts' marks in order


class FeedMarks(ChangeMarks):
    async def changed(self, readers: Iterable[int]) -> None:
        """These readers' feeds changed (called after the change, by the shard that made it)."""
        await self._move(redis_keys.feed_mark(r) for r in readers)

    async def pulled_changed(self, author_id: int) -> None:
        """A pulled account posted or deleted: every feed that merges it at read changed."""
        await self._move([redis_keys.pulled_mark(author_id)])

    async def of(self, reader: int, pulled: Sequence[int]) -> Marks:
        """The reader's mark and those of the pulled accounts, in one round trip."""
        keys = [redis_keys.feed_mark(reader), *(redis_keys.pulled_mark(a) for a in pulled)]
        return tuple(await self.redis.mget(keys))
