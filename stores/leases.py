"""Leases: work that one gateway process drives at a time (an account's erasure or export, a
video's transcodes) is held under a Redis key, taken with SET NX and a random token, refreshed
while its holder works, and released when it is done. Only the token's holder refreshes or
releases it; a holder that dies lets it lapse, and another process's sweep takes the work over."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from redis.asyncio import Redis

log = logging.getLogger(__name__)

# KEYS: the lease. ARGV: the holder's token[, its TTL (ms)]. A no-op for anyone else's lease.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class Lease:
    """The lease ``key``, held ``ms`` at a time by whoever takes it with this object's token."""

    def __init__(self, redis: Redis, key: str, ms: int) -> None:
        self.redis, self.key, self.ms = redis, key, ms
        self.token = secrets.token_hex(16)

    async def take(self) -> bool:
        """True when this holder has it now (nobody else held it)."""
        return bool(await self.redis.set(self.key, self.token, nx=True, px=self.ms))

    async def refresh(self) -> None:
        await self.redis.eval(_REFRESH, 1, self.key, self.token, self.ms)

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)

    @contextlib.asynccontextmanager
    async def kept(self):
        """Refreshed (three times a TTL) while the body runs, released after it however it ends.
        A refresh or release that fails is logged or left: the lease lapses on its own."""
        keeper = asyncio.create_task(self._keep())
        try:
            yield self
        finally:
            keeper.cancel()
            try:
                await asyncio.shield(self.release())
            except Exception:
                pass        # it lapses on its own

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.ms / 3000)
            try:
                await self.refresh()
            except Exception as exc:
                log.warning("lease %s not refreshed: %s", self.key, exc)
