"""The per-account cap on videos transcoding at once, taken atomically in Redis.

Counting processing videos in Neo4j and then staging one more is a race: ten parallel uploads all
counted three and all got in. Here a slot is taken by one Lua script (drop lapsed slots, count,
add only if all fit), so the cap holds however many gateways and requests race.

A slot is a member of a sorted set per account (``rg:video-slots:<account>``): the video's media
id, scored with the moment it lapses. Whoever drives the transcode refreshes it and gives it back
when the video is ready or failed; a gateway that dies leaves it to lapse (``ttl_ms``), or to the
gateway whose sweep takes the video over, which holds it again. So a crash never leaks a slot
for longer than ``ttl_ms``.
"""
from __future__ import annotations

from redis.asyncio import Redis

from core import redis_keys
from core.clock import now_ms

_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) + #ARGV - 3 > tonumber(ARGV[3]) then return 0 end
for i = 4, #ARGV do redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
"""
_HOLD = """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return 1
"""


class VideoSlots:
    def __init__(self, redis: Redis, cap: int, ttl_ms: int) -> None:
        self.redis, self.cap, self.ttl_ms = redis, cap, ttl_ms

    async def take(self, account_id: int, media_ids: list[int]) -> bool:
        """One slot per video, all or none; False when they do not fit under the cap."""
        if not media_ids:
            return True
        now = now_ms()
        return bool(await self.redis.eval(_TAKE, 1, redis_keys.video_slots(account_id), now, now + self.ttl_ms,
                                          self.cap, *media_ids))

    async def hold(self, account_id: int, media_ids: list[int]) -> None:
        """Still transcoding: push the slots' lapse back (a driver taking a video over re-adds them:
        it was admitted once, it is not refused now)."""
        if media_ids:
            await self.redis.eval(_HOLD, 1, redis_keys.video_slots(account_id), now_ms() + self.ttl_ms, *media_ids)

    async def give_back(self, account_id: int, media_ids: list[int]) -> None:
        if media_ids:
            await self.redis.zrem(redis_keys.video_slots(account_id), *media_ids)
