"""Who holds a live socket, kept by the gateways in Redis, read by the feed shards.

The way Mastodon keeps ``subscribed:`` keys: a gateway marks the accounts whose sockets it holds
and refreshes the mark while they stay open, so presence survives a shard restart or a rescale
(shards keep none of it) and lapses on its own when a gateway dies without saying goodbye.

Marks are scores (when the socket was last seen open, in ms) in sorted sets bucketed by the
account's feed slot. Two readings of one score:
- *online*: seen within ``online_ttl_ms``; a gateway refreshes every third of it.
- *recent*: seen within the live window (24 h by default): feed events are still logged for them,
  because a client that reconnects resumes from its ``last_event_id``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from redis.asyncio import Redis

from core import redis_keys
from feed.sharding import SLOTS, slot_of

# Invariant: divides SLOTS, so a bucket is a run of whole slots and a shard (a contiguous slot
# range) reads only the buckets overlapping its range.
PRESENCE_BUCKETS = 256
SLOTS_PER_BUCKET = SLOTS // PRESENCE_BUCKETS
assert SLOTS % PRESENCE_BUCKETS == 0


def bucket_of(user_id: int) -> int:
    return slot_of(user_id) // SLOTS_PER_BUCKET


def buckets_for_slots(first_slot: int, end_slot: int) -> range:
    """The buckets holding slots ``first_slot`` .. ``end_slot - 1``."""
    return range(first_slot // SLOTS_PER_BUCKET, (end_slot - 1) // SLOTS_PER_BUCKET + 1)


def by_bucket(user_ids: Iterable[int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for uid in user_ids:
        groups[bucket_of(uid)].append(uid)
    return groups


class Presence:
    def __init__(self, redis: Redis, online_ttl_s: float, live_window_s: float) -> None:
        self.redis = redis
        self.online_ttl_ms = int(online_ttl_s * 1000)
        self.live_window_ms = int(live_window_s * 1000)

    # --- written by the gateways: seen/forgotten ---------------------------------------------
    async def seen(self, user_ids: Iterable[int], now_ms: int) -> None:
        """These accounts hold a socket here now (on open, and on every refresh)."""
        groups = by_bucket(user_ids)
        if not groups:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            self.mark(pipe, user_ids, now_ms)
            await pipe.execute()

    @staticmethod
    def mark(pipe, user_ids: Iterable[int], now_ms: int) -> None:
        """``seen``'s commands, queued on a pipeline of the caller's (to share its round trip)."""
        for bucket, uids in by_bucket(user_ids).items():
            # GT: another gateway's fresher mark for the same account is never pushed back.
            pipe.zadd(redis_keys.presence(bucket), {str(u): now_ms for u in uids}, gt=True)

    async def forget_stale(self, now_ms: int) -> None:
        """Drop marks older than the live window (any gateway may run it; idempotent)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for bucket in range(PRESENCE_BUCKETS):
                pipe.zremrangebyscore(redis_keys.presence(bucket), "-inf", now_ms - self.live_window_ms - 1)
            await pipe.execute()

    # --- read by the shards: batched, one round trip ------------------------------------------
    async def _scores(self, user_ids: list[int]) -> dict[int, float]:
        groups = by_bucket(user_ids)
        if not groups:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for bucket, uids in groups.items():
                pipe.zmscore(redis_keys.presence(bucket), [str(u) for u in uids])
            results = await pipe.execute()
        return {uid: score for uids, scores in zip(groups.values(), results)
                for uid, score in zip(uids, scores) if score is not None}

    async def online_among(self, user_ids: Iterable[int], now_ms: int) -> set[int]:
        scores = await self._scores(list(user_ids))
        return {u for u, s in scores.items() if s >= now_ms - self.online_ttl_ms}

    async def recent_among(self, user_ids: Iterable[int], now_ms: int) -> set[int]:
        scores = await self._scores(list(user_ids))
        return {u for u, s in scores.items() if s >= now_ms - self.live_window_ms}

    async def online_in_slots(self, first_slot: int, end_slot: int, now_ms: int) -> list[int]:
        """Accounts of these slots holding a socket now (a shard's listening readers): work in
        proportion to who is connected, not to everyone seen in the last day."""
        buckets = buckets_for_slots(first_slot, end_slot)
        async with self.redis.pipeline(transaction=False) as pipe:
            for bucket in buckets:
                pipe.zrangebyscore(redis_keys.presence(bucket), now_ms - self.online_ttl_ms, "+inf")
            results = await pipe.execute()
        return [uid for members in results for uid in map(int, members) if first_slot <= slot_of(uid) < end_slot]
