"""Each reader's hidden authors in Redis: the accounts whose posts a reader never sees in feed
pages, the live stream, search or hashtag pages (blocked either way, or muted), answered without
asking Neo4j (core/hiding.py says who hides whom).

Invariant: kept in step with the graph's BLOCKS and MUTES edges by the block and mute use cases
(usecases/safety.py), right after each graph write; like stores/liked_posts.py with likes.
"""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys


class HiddenAuthors:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set_pair(self, a: int, b: int, a_hides_b: bool, b_hides_a: bool) -> None:
        """Both directions between two accounts, in one round trip."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for reader, author, hide in ((a, b, a_hides_b), (b, a, b_hides_a)):
                if hide:
                    pipe.sadd(redis_keys.hidden_authors(reader), str(author))
                else:
                    pipe.srem(redis_keys.hidden_authors(reader), str(author))
            await pipe.execute()

    async def among(self, reader: int, authors) -> set[int]:
        """Those of ``authors`` the reader hides (one round trip; none asked, none found)."""
        authors = sorted(set(authors) - {reader})
        if not authors:
            return set()
        found = await self.redis.smismember(redis_keys.hidden_authors(reader), [str(a) for a in authors])
        return {a for a, hidden in zip(authors, found) if hidden}

    async def readers_hiding(self, author: int, readers: list[int]) -> set[int]:
        """Those of ``readers`` who hide the author (one round trip for a live post's readers)."""
        readers = [r for r in readers if r != author]
        if not readers:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for reader in readers:
                pipe.sismember(redis_keys.hidden_authors(reader), str(author))
            found = await pipe.execute()
        return {r for r, hidden in zip(readers, found) if hidden}

    async def of(self, reader: int) -> set[int]:
        """Every author the reader hides (for callers that filter before they know the authors)."""
        return self.of_reply(await self.redis.smembers(redis_keys.hidden_authors(reader)))

    @staticmethod
    def queue_of(pipe: Pipeline, reader: int) -> None:
        """``of`` in a caller's pipeline; its reply goes to ``of_reply``."""
        pipe.smembers(redis_keys.hidden_authors(reader))

    @staticmethod
    def of_reply(members) -> set[int]:
        return {int(a) for a in members}
