"""An account's data export, as Redis knows it: ``rg:export:<id>`` (a hash: id, state, requested,
ready and expiry times, the archive's key and size), expiring with the archive; and the lease of
the gateway driving its build (``rg:export-lease:<id>``), refreshed while it waits for the Ray
task. A build whose lease lapsed (its gateway died) reads as failed: the owner may ask again."""
from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from core import redis_keys

from .leases import Lease

_INT_FIELDS = ("id", "requested_at", "ready_at", "expires_at", "bytes", "posts", "media")


class ExportStates:
    def __init__(self, redis: Redis, lease_ms: int) -> None:
        self.redis, self.lease_ms = redis, lease_ms

    def lease(self, user_id: int) -> Lease:
        """The lease on the account's build (taken by the gateway that drives it)."""
        return Lease(self.redis, redis_keys.export_lease(user_id), self.lease_ms)

    async def leased(self, user_id: int) -> bool:
        return bool(await self.redis.exists(redis_keys.export_lease(user_id)))

    async def put(self, user_id: int, fields: dict[str, Any], ttl_ms: int) -> None:
        key = redis_keys.export_state(user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={k: str(v) for k, v in fields.items() if v is not None})
            pipe.pexpire(key, ttl_ms)
            await pipe.execute()

    async def get(self, user_id: int) -> dict[str, Any] | None:
        raw = await self.redis.hgetall(redis_keys.export_state(user_id))
        if not raw:
            return None
        out: dict[str, Any] = {k.decode(): v.decode() for k, v in raw.items()}
        for field in _INT_FIELDS:
            if field in out:
                out[field] = int(out[field])
        return out

    async def forget(self, user_id: int) -> None:
        await self.redis.delete(redis_keys.export_state(user_id), redis_keys.export_lease(user_id))
