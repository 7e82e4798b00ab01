"""What a post search needs to know about who may see what, without asking Neo4j per search
(read by usecases/search_reads.py, written by search/port.py and the indexer).

Two things, both in Redis, both read in one round trip per search (``viewer_state``):

**A viewer's private followees** (the private accounts that approved them), which the
Elasticsearch visibility filter lets through. A cache of the graph (``rg:search-followees:<id>``,
a TTL of ``FOLLOWEES_TTL_S``). It only ever widens or narrows what Elasticsearch returns; it never
decides alone that a private post is shown: every hit of a private author other than the viewer is
checked against the graph before it is served (usecases/search_reads.py). So a stale list that
still names an account the viewer unfollowed (or was removed or blocked by) shows nothing it
should not; a stale list that misses an account that just approved the viewer hides that account's
posts from search until the entry is dropped (``forget_followees``, on an accepted request) or
expires (an account the viewer follows going private: followers' lists are not walked).

**Privacy changes the index may not show yet** (``rg:search-privacy-pending:<prefix>``, a hash
author id -> the change's token). The index learns of a privacy change through the outbox, a
second or more after the graph (longer through an Elasticsearch outage), and its documents say
who is private in the meantime. So the account is marked *before* the graph write (``pending:...``
until the outbox entry exists, then that entry's id), and the mark is removed only by the indexer,
after the entry's documents are written and refreshed, and only if no newer change replaced it.
While an author is marked, every search hit of theirs is checked against the graph. A mark whose
removal never happens (a crash, an outbox append that failed) only costs that check.
"""
from __future__ import annotations

import secrets

from redis.asyncio import Redis

from core import redis_keys

# A followee list answers searches for this long at most after a change it was not told of.
FOLLOWEES_TTL_S = 120

# Remove a privacy mark only if it is still the one the indexer settled (a newer change keeps its own).
_SETTLE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
    return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# Append the outbox entry and point the author's mark at it, atomically: the mark then names the
# entry whose indexing settles it.
_ANNOUNCE = """
local id = redis.call('XADD', KEYS[1], '*', 'k', ARGV[2], 'id', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
"""


class SearchVisibility:
    def __init__(self, redis: Redis, index_prefix: str) -> None:
        self.redis = redis
        self.pending_key = redis_keys.search_privacy_pending(index_prefix)
        self.outbox_key = redis_keys.search_outbox(index_prefix)
        self._settle = redis.register_script(_SETTLE)
        self._announce = redis.register_script(_ANNOUNCE)

    async def viewer_state(self, viewer_id: int) -> tuple[tuple[int, ...] | None, set[int]]:
        """The viewer's cached private followees (None: not cached) and every author with a
        privacy change the index may not show yet (a handful at any time: marks last seconds)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(redis_keys.search_followees(viewer_id))
            pipe.hkeys(self.pending_key)
            followees, pending = await pipe.execute()
        cached = None if followees is None else tuple(int(a) for a in followees.split(b",") if a)
        return cached, {int(a) for a in pending}

    async def remember_followees(self, viewer_id: int, followees: list[int]) -> None:
        await self.redis.set(redis_keys.search_followees(viewer_id), ",".join(map(str, followees)),
                             ex=FOLLOWEES_TTL_S)

    async def forget_followees(self, viewer_id: int) -> None:
        await self.redis.delete(redis_keys.search_followees(viewer_id))

    async def privacy_changing(self, author_id: int) -> None:
        """Before the graph write: from now on the author's hits are checked live."""
        await self.redis.hset(self.pending_key, str(author_id), f"pending:{secrets.token_hex(8)}")

    async def privacy_changed(self, author_id: int, kind: str) -> str:
        """After the graph write: the outbox entry (``kind``: the author's) whose indexing settles
        the mark; its id."""
        entry_id = await self._announce(keys=[self.outbox_key, self.pending_key], args=[str(author_id), kind])
        return entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    async def settle(self, author_id: int, entry_id: str) -> None:
        """The index shows what ``entry_id`` announced (written and refreshed): drop the mark,
        unless a later change replaced it."""
        await self._settle(keys=[self.pending_key], args=[str(author_id), entry_id])
