"""Per-account event logs: every event gets the account's next id, is kept for replay in a capped
Redis Stream, and is published to every gateway process holding that account's sockets.

All three happen in one Lua script, so an event is never published without being logged, ids
never go backwards, and a socket that subscribes before it replays sees every event exactly
once (the replay covers what came before, the subscription what comes after; duplicates in the
overlap are recognised by id).
"""
from __future__ import annotations

from typing import Iterable

from redis.asyncio import Redis

from core import redis_keys

from core import live_protocol as protocol
from core.live_protocol import EventRef

# KEYS: seq, stream, channel[, once]. ARGV: payload, min events kept, idle expiry (s), account id[,
# once expiry (s)]. Published in core/live_protocol.py's channel form "<account> <event id> <payload>": channels are shared by many
# accounts. With a ``once`` set, an account already in it gets nothing (returns 0): a retried
# fan-out delivers each post live once per reader.
_APPEND = """
if KEYS[4] then
  if redis.call('SADD', KEYS[4], ARGV[4]) == 0 then return 0 end
  redis.call('EXPIRE', KEYS[4], ARGV[5])
end
local id = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id .. '-0', 'p', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[4] .. ' ' .. id .. ' ' .. ARGV[1])
return id
"""
# A log nobody wrote to for this long goes (the seq key stays, so ids keep increasing).
IDLE_EXPIRY_S = 7 * 24 * 3600
# A once-only delivery set outlives every retry of its fan-out (the pending sweep retries within
# minutes); a fan-out still retried after this could deliver a post live twice.
ONCE_EXPIRY_S = 6 * 3600


class EventLog:
    def __init__(self, redis: Redis, min_events: int) -> None:
        self.redis = redis
        self.min_events = min_events
        self._script = redis.register_script(_APPEND)

    def _args(self, user_id: int, payload: str, once: str | None = None) -> tuple[list[str], list]:
        keys = [redis_keys.event_seq(user_id), redis_keys.event_log(user_id), redis_keys.live_channel(user_id)]
        args = [payload, self.min_events, IDLE_EXPIRY_S, user_id]
        if once is not None:
            keys.append(once)
            args.append(ONCE_EXPIRY_S)
        return keys, args

    async def append(self, user_id: int, ref: EventRef) -> int:
        keys, args = self._args(user_id, protocol.encode(ref))
        return int(await self._script(keys=keys, args=args))

    async def append_each(self, user_ids: Iterable[int], ref: EventRef, *, once: str | None = None) -> None:
        """The same event for many accounts, pipelined (one round trip per batch). ``once`` names
        a set (redis_keys.live_once) that makes repeated calls deliver to each account once."""
        payload = protocol.encode(ref)
        ids = list(user_ids)
        for start in range(0, len(ids), 500):
            async with self.redis.pipeline(transaction=False) as pipe:
                for uid in ids[start:start + 500]:
                    keys, args = self._args(uid, payload, once)
                    await self._script(keys=keys, args=args, client=pipe)
                await pipe.execute()

    async def since(self, user_id: int, after: int, count: int = 10_000) -> list[tuple[int, str]]:
        """Logged events with id > ``after``, oldest first."""
        entries = await self.redis.xrange(redis_keys.event_log(user_id), min=f"({after}-0", max="+", count=count)
        return [(int(entry_id.split(b"-")[0]), fields[b"p"].decode()) for entry_id, fields in entries]
