"""The indexer loop each gateway process runs: drain the outbox into Elasticsearch.

Entries are acknowledged only after their bulk write succeeded. While Elasticsearch or Neo4j is
down the loop retries the same entries with a growing pause (capped), so indexing resumes by
itself when the service returns. A batch that keeps failing for any other reason is applied
entry by entry, and an entry that still fails is logged and set aside (acknowledged), so one bad
entry cannot stop indexing. Now and then the loop also takes over entries a dead process left
unacknowledged and trims what everyone has acknowledged.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import elastic_transport
import neo4j.exceptions
import redis.exceptions
from elasticsearch import ApiError

from . import reindex_state
from .indexer import Indexer, RetryLater
from .outbox import Entry, Outbox

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000       # below the Redis client's socket timeout
MAINTENANCE_EVERY_S = 15.0
FIRST_RETRY_S = 0.2
# Failures of a batch (not outages) before it is applied entry by entry.
STRIKES_BEFORE_ISOLATING = 3


def is_outage(exc: BaseException) -> bool:
    """A backing service is down or overloaded: retry the same entries later, as long as it takes."""
    if isinstance(exc, ApiError):
        return exc.meta.status == 429 or exc.meta.status >= 500
    return isinstance(exc, (RetryLater, elastic_transport.TransportError, neo4j.exceptions.ServiceUnavailable,
                            neo4j.exceptions.SessionExpired, neo4j.exceptions.TransientError,
                            redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                            OSError, asyncio.TimeoutError))


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
        strikes = 0
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
                    if strikes >= STRIKES_BEFORE_ISOLATING:
                        await self._apply_one_by_one(entries)
                    else:
                        await self._apply(entries)
                delay, strikes = FIRST_RETRY_S, 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                if isinstance(exc, redis.exceptions.ResponseError) and "NOGROUP" in str(exc):
                    group_ready = False          # the stream or group vanished: recreate it
                elif not is_outage(exc):
                    strikes += 1
                log.warning("search indexing paused %.1fs: %s: %s", delay, type(exc).__name__, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)

    async def _apply(self, entries: list[Entry]) -> None:
        self.indexed += await self.indexer.apply(entries)
        await self.outbox.ack(entries)

    async def _apply_one_by_one(self, entries: list[Entry]) -> None:
        for entry in entries:
            try:
                await self._apply([entry])
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.error("search indexing set aside %s %s (entry %s): %s: %s; `raygram search reindex` "
                          "repairs it once the cause is fixed", entry.kind, entry.id, entry.entry_id,
                          type(exc).__name__, exc)
                await self.outbox.ack([entry])

    async def _maintain(self) -> None:
        stale = await self.outbox.claim_stale(self.consumer, self.claim_idle_ms, self.batch)
        if stale:
            await self._apply(stale)
        reindexes = await reindex_state.active(self.outbox.redis, self.indexer.prefix)
        await self.outbox.trim([r["since"] for r in reindexes.values()])
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
