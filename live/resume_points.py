"""Where a client's live stream should resume after it read its state over REST (Zulip's register
handshake: the state and the event id it is current to, in one answer).

A REST read of the feed or notifications marks the reader as seen before it reads the account's
last event id: from that moment the shards log feed events for them (they are *recent*, see
live/presence.py), so a socket opened with that id misses nothing posted after the read, and at
worst replays something the read already showed (clients keep posts by id).

A reader who was away longer than the live window had no feed events logged meanwhile: resuming
with an old id would silently skip those posts, so ``lapsed`` tells the stream to send a resync.
"""
from __future__ import annotations

from redis.asyncio import Redis

from core import redis_keys
from core.clock import now_ms

from .presence import Presence


class ResumePoints:
    def __init__(self, redis: Redis, presence: Presence) -> None:
        self.redis, self.presence = redis, presence

    async def take(self, user_id: int) -> int:
        """The account's last event id, after marking it as reading (see the module's docstring)."""
        async with self.redis.pipeline(transaction=False) as pipe:   # one round trip, in this order
            self.queue_take(pipe, user_id)
            replies = await pipe.execute()
        return self.taken(replies)

    def queue_take(self, pipe, user_id: int) -> None:
        """``take`` queued first in a caller's pipeline (whatever it reads after is read after the
        mark, as ``take`` requires); the pipeline's replies up to here go to ``taken``."""
        self.presence.mark(pipe, [user_id], now_ms())
        pipe.get(redis_keys.event_seq(user_id))

    @staticmethod
    def taken(replies: list) -> int:
        value = replies[-1]
        return int(value) if value is not None else 0

    async def lapsed(self, user_id: int) -> bool:
        """Was the account away longer than the live window (so its log may lack feed events)?
        Asked before its new socket marks it seen."""
        return not await self.presence.recent_among([user_id], now_ms())
