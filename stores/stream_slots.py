"""Open live streams per account, counted in Redis so the cap holds across gateway processes.

Each stream claims a slot when it opens: a member of the account's sorted set (score = when it
opened) plus an "alive" key with a TTL that its process refreshes while it stays open. A claim
beyond the cap takes the oldest slots away (deletes their alive keys) and announces each on the
account's live channel (``protocol.eviction``), so whichever process holds that stream closes it
at once; a process that missed the message finds its alive key gone at its next refresh. A
process that dies leaves slots whose keys lapse within the TTL; the next claim drops them, so
a crash never leaks a slot for longer.
"""
from __future__ import annotations

from typing import Iterable

from redis.asyncio import Redis

from core import redis_keys
from core.live_protocol import eviction
from stores.capped_sets import evict_oldest_past_cap

# KEYS: the account's slots, the new stream's alive key. ARGV: stream id, now (ms), cap, alive
# TTL (s), alive key prefix. Atomic: two streams opened at once on two processes cannot both
# slip under the cap. Returns the evicted stream ids, oldest first.
_CLAIM = """
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[5] .. m) == 0 then redis.call('ZREM', KEYS[1], m) end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[4])
""" + evict_oldest_past_cap(cap="ARGV[3]", member_key_prefix="ARGV[5]")


class StreamSlots:
    def __init__(self, redis: Redis, cap: int, ttl_s: float) -> None:
        self.redis, self.cap, self.ttl_s = redis, cap, max(1, int(ttl_s))
        self._claim = redis.register_script(_CLAIM)

    async def claim(self, user_id: int, stream_id: str, now_ms: int) -> list[str]:
        """Count a new stream; the ids of the streams it displaced (already told to close)."""
        evicted = await self._claim(keys=[redis_keys.stream_slots(user_id), redis_keys.stream_alive(stream_id)],
                                    args=[stream_id, now_ms, self.cap, self.ttl_s, redis_keys.stream_alive("")])
        gone = [e.decode() for e in evicted]
        if gone:
            async with self.redis.pipeline(transaction=False) as pipe:
                for old in gone:
                    pipe.publish(redis_keys.live_channel(user_id), eviction(user_id, old))
                await pipe.execute()
        return gone

    async def refresh(self, slots: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
        """Keep these streams' slots alive; those whose slot was taken away meanwhile."""
        slots = list(slots)
        if not slots:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id, stream_id in slots:
                pipe.set(redis_keys.stream_alive(stream_id), "1", xx=True, ex=self.ttl_s)
                pipe.expire(redis_keys.stream_slots(user_id), self.ttl_s)
            results = await pipe.execute()
        return [slot for slot, kept in zip(slots, results[::2]) if not kept]

    async def release(self, user_id: int, stream_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(redis_keys.stream_slots(user_id), stream_id)
            pipe.delete(redis_keys.stream_alive(stream_id))
            await pipe.execute()
