"""The indexer loop each gateway process runs: drain the outbox into Elasticsearch.

Entries are acknowledged only after their bulk write succeeded. While Elasticsearch or Neo4j is
down the loop retries the same entries with a growing pause (capped), so indexing resumes by
itself when the service returns. Now and then it also takes over entries a dead process left
unacknowledged and trims what everyone has acknowledged.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from core import redis_keys

from .indexer import Indexer
from .outbox import Outbox

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000       # below the Redis client's socket timeout
MAINTENANCE_EVERY_S = 15.0
FIRST_RETRY_S = 0.2


class IndexWorker:
    def __init__(self, outbox: Outbox, indexer: Indexer, *, consumer: str, batch: int, retry_max_s: float,
                 claim_idle_s: float) -> None:
        self.outbox, self.indexer, self.consumer = outbox, indexer, consumer
        self.batch, self.retry_max_s, self.claim_idle_ms = batch, retry_max_s, int(claim_idle_s * 1000)
        self.indexed = 0       # documents written or deleted by this process
        self.failures = 0      # batches that failed and were retried
        self.backlog = 0       # outbox entries not yet acknowledged (all processes), as last seen
        self._stopping = False

    async def run(self) -> None:
        delay = FIRST_RETRY_S
        next_maintenance = 0.0
        group_ready = False
        while not self._stopping:
            try:
                if not group_ready:
                    await self.outbox.ensure_group()
                    group_ready = True
                if time.monotonic() >= next_maintenance:
                    next_maintenance = time.monotonic() + MAINTENANCE_EVERY_S
                    await self._maintain()
                entries = await self.outbox.read(self.consumer, self.batch, READ_BLOCK_MS)
                if entries:
                    self.indexed += await self.indexer.apply(entries)
                    await self.outbox.ack(entries)
                delay = FIRST_RETRY_S
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                # One line per failure streak step, not a trace per retry.
                log.warning("search indexing paused %.1fs: %s: %s", delay, type(exc).__name__, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)

    async def _maintain(self) -> None:
        stale = await self.outbox.claim_stale(self.consumer, self.claim_idle_ms, self.batch)
        if stale:
            self.indexed += await self.indexer.apply(stale)
            await self.outbox.ack(stale)
        reindexes = await self.outbox.redis.hgetall(redis_keys.search_reindex())
        await self.outbox.trim([json.loads(v)["since"] for v in reindexes.values()])
        state = await self.outbox.state()
        self.backlog = state["pending"] + state["unread"]

    async def stop(self, task: asyncio.Task, timeout_s: float = 5.0) -> None:
        """Finish the batch in hand (so its entries are acknowledged rather than left for another
        process to claim a minute later), then leave the group."""
        self._stopping = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.outbox.leave(self.consumer)
        except Exception:
            log.warning("could not leave the search indexer group; harmless")
