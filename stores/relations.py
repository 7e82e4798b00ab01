"""Each account's relationships in Redis, a rebuildable cache of the graph: user search's
``relationship`` flags and its "blocked either way" filter for a whole page in one HMGET, without
asking Neo4j (core/relationship_bits.py says what the bits mean).

``rg:relations:<id>`` is a hash: the other account's id -> the bits, for every account the owner
follows, asked to follow, blocks or mutes, and every account that follows or blocks the owner;
plus the field ``built``, written with them, holding the kinds that went past ``CAP`` (a
celebrity's million followers are not kept: for such a kind an account without its bit, in the
hash for another kind or not at all, is asked of the graph (core/relationship_bits.unsettled);
the rest still come from here). A hash that is missing (never built, expired,
lost with Redis, dropped by a change) is rebuilt from the graph by the next read.

Invariant: every use case that adds or removes a FOLLOWS, REQUESTED, BLOCKS or MUTES edge calls
``changed`` with both accounts right after its graph write (usecases/social.py, safety.py); a
change drops both hashes, so the next read of either rebuilds from a graph that has the change:
exact at once, on every gateway. A rebuild reads a counter before the graph and writes only if no
change moved it since (``rg:relations-gen:<id>``), so a rebuild racing a change never writes the
state before it back. Changes drop rather than patch: two writers patching the same pair could
land in the wrong order, a drop cannot.
"""
from __future__ import annotations

from neo4j import AsyncDriver
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from core import redis_keys, relationship_bits
from graph import relations

BUILT = "built"
# Accounts kept per kind (following, followers, blocks, ...): a rebuild reads at most this many
# rows per kind, and a search by someone past it asks the graph about the rest.
CAP = 2000
# A backstop for memory only (every change drops the hash).
TTL_S = 3600
# Far longer than any rebuild: a counter that expired only makes a racing rebuild skip its write.
GEN_TTL_S = 24 * 3600

# A rebuild: write what the graph said only if no change happened since the counter was read.
# KEYS: hash, counter; ARGV: counter read, ttl, partial kinds, then id, bits, id, bits, ...
_BUILD = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then
    return 0
end
redis.call('DEL', KEYS[1])
-- In slices of whole pairs: Lua's unpack is bounded (about 8,000 values).
for i = 4, #ARGV, 1000 do
    redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HSET', KEYS[1], 'built', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class Relations:
    def __init__(self, redis: Redis, driver: AsyncDriver, *, cap: int = CAP, ttl_s: int = TTL_S) -> None:
        self.redis, self.driver, self.cap, self.ttl_s = redis, driver, cap, ttl_s
        self._build = redis.register_script(_BUILD)

    async def changed(self, *account_ids: int) -> None:
        """Edges between these accounts changed (called after the graph write, every time, so a
        retried request repairs what a failure left): their hashes go, in one transaction."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for account in sorted(set(account_ids)):
                pipe.incr(redis_keys.relations_gen(account))
                pipe.expire(redis_keys.relations_gen(account), GEN_TTL_S)
                pipe.delete(redis_keys.relations(account))
            await pipe.execute()

    @staticmethod
    def queue_toward(pipe: Pipeline, viewer: int, user_ids: list[int]) -> None:
        """``toward``'s read in a caller's pipeline; its reply goes to ``toward_reply``."""
        pipe.hmget(redis_keys.relations(viewer), [BUILT, *(str(i) for i in user_ids)])

    async def toward(self, viewer: int, user_ids: list[int]) -> dict[int, int]:
        """The viewer's bits toward each of ``user_ids``."""
        reply = await self.redis.hmget(redis_keys.relations(viewer), [BUILT, *(str(i) for i in user_ids)])
        return await self.toward_reply(viewer, user_ids, reply)

    async def toward_reply(self, viewer: int, user_ids: list[int], reply: list) -> dict[int, int]:
        if reply[0] is not None:
            partial = int(reply[0])
            bits = {i: int(b) if b is not None else 0 for i, b in zip(user_ids, reply[1:])}
        else:
            every, partial = await self._rebuilt(viewer)
            bits = {i: every.get(i, 0) for i in user_ids}
        unknown = relationship_bits.unsettled(bits, partial)
        if unknown:
            # Past the cap (a celebrity viewer): the graph says, for these accounts only.
            bits.update(await relations.toward(self.driver, viewer, unknown))
        return bits

    async def _rebuilt(self, viewer: int) -> tuple[dict[int, int], int]:
        """From the graph, written back unless a change came first. Never shared between requests:
        one that began after a change must not get a read that began before it."""
        gen = await self.redis.get(redis_keys.relations_gen(viewer))
        every, partial = await relations.of_viewer(self.driver, viewer, self.cap)
        pairs = [str(v) for i, b in every.items() for v in (i, b)]
        await self._build(keys=[redis_keys.relations(viewer), redis_keys.relations_gen(viewer)],
                          args=[gen.decode() if gen else "0", self.ttl_s, partial, *pairs])
        return every, partial
