"""Each account's saved posts (bookmarks) as a Redis set: a Mastodon status's ``bookmarked`` for
a whole page in one SMISMEMBER, without asking Neo4j.

Invariant: changed by the save and unsave use cases (usecases/saved_posts.py) right after the
graph write. The set holds a member ``built`` once it was filled from the graph, so a set that is
missing (never built since bookmarks existed, or lost with Redis) is rebuilt on the first read
instead of answering "not saved". A rebuild reads the graph, then writes only if no save or
unsave happened since it began (a counter every change moves): a rebuild racing an unsave can
never put the unsaved post back. A deleted post's id may stay in the set; no page shows that post.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys

BUILT = "built"

# A change: move the counter, then apply it to a set that exists (a missing set is rebuilt from
# the graph, which already has the change).
_CHANGE = """
redis.call('INCR', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call(ARGV[1], KEYS[1], ARGV[2])
end
return 0
"""

# A rebuild: write what the graph said only if no change happened since the counter was read.
_BUILD = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then
    return 0
end
-- In slices: Lua's unpack is bounded (about 8,000 values), an account's saves are not.
for i = 2, #ARGV, 1000 do
    redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 1
"""


class SavedPostIds:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._change = redis.register_script(_CHANGE)
        self._build = redis.register_script(_BUILD)

    async def add(self, viewer: int, post_id: int) -> None:
        await self._change(keys=self._keys(viewer), args=["SADD", str(post_id)])

    async def remove(self, viewer: int, post_id: int) -> None:
        await self._change(keys=self._keys(viewer), args=["SREM", str(post_id)])

    @staticmethod
    def queue_which(pipe: Pipeline, viewer: int, post_ids: list[int]) -> None:
        """``which`` in a caller's pipeline (``post_ids`` not empty); its reply goes to ``which_reply``."""
        pipe.smismember(redis_keys.saved_posts(viewer), [BUILT, *(str(i) for i in post_ids)])

    async def which_reply(self, viewer: int, post_ids: list[int], found: list,
                          from_graph: Callable[[int], Awaitable[list[int]]]) -> set[int]:
        """The saved ones of ``post_ids``; a set not built yet is built from ``from_graph(viewer)``."""
        if found and found[0]:
            return {post_id for post_id, saved in zip(post_ids, found[1:]) if saved}
        gen = await self.redis.get(redis_keys.saved_posts_gen(viewer))
        saved = set(await from_graph(viewer))
        await self._build(keys=self._keys(viewer),
                          args=[gen.decode() if gen else "0", BUILT, *(str(i) for i in sorted(saved))])
        return saved & set(post_ids)

    @staticmethod
    def _keys(viewer: int) -> list[str]:
        return [redis_keys.saved_posts(viewer), redis_keys.saved_posts_gen(viewer)]
