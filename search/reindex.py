"""Rebuild a search index from Neo4j into a new index and swap the alias: no downtime.

1. Create the new index (refresh off while filling) and register it as a reindex target: from
   then on every indexer writes each change to it as well as to the alias.
2. Note the outbox position P, then copy every post (user) from Neo4j page by page, each write
   versioned at P. Every change made since has a later outbox entry, hence a higher version, so
   an indexer's write always wins over the copy's, whichever lands first.
3. Replay the outbox from P into the new index (belt and braces: a change whose versioned
   tombstone has already been forgotten is still settled from the graph as it is now).
4. Move the alias in one atomic call, stop dual writes, delete the old index.

Searches read the old index until the alias moves and the new one after: both are complete. One
reindex per set of indexes at a time: a Redis lock, renewed while it runs; a reindex that dies
stops being honoured when its lock expires, and the next one removes what it left.
"""
from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from graph import search_source

from . import reindex_state
from .documents import post_document, user_document
from .indexer import Indexer, bulk, copy_ops
from .indexes import POSTS, IndexSpec, index_specs, indexes_behind, swap_alias
from .outbox import Outbox, entry_version

COPY_PAGE = 2000
LOCK_TTL_S = 60
LOCK_RENEW_S = 15


class ReindexRunning(Exception):
    """Another reindex holds the lock."""


class ReindexLost(Exception):
    """The lock expired under this reindex (e.g. the process stalled): it must not swap."""


@dataclass(frozen=True)
class ReindexReport:
    alias: str
    index: str
    previous: tuple[str, ...]
    copied: int
    replayed: int
    seconds: float


async def reindex(es: AsyncElasticsearch, redis: Redis, driver: AsyncDriver, prefix: str, *,
                  kinds: tuple[str, ...] | None = None, progress: Callable[[str], None] = lambda _: None,
                  ) -> list[ReindexReport]:
    lock, token = redis_keys.search_reindex_lock(prefix), secrets.token_hex(8)
    if not await redis.set(lock, token, nx=True, ex=LOCK_TTL_S):
        raise ReindexRunning("another reindex is running")
    renewing = asyncio.create_task(_renew(redis, lock, token))
    try:
        specs = index_specs(prefix)
        reports = []
        for kind in kinds or tuple(specs):
            reports.append(await _rebuild(es, redis, driver, prefix, specs[kind], lambda: _holding(renewing),
                                          progress))
        return reports
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError, ReindexLost):
            await renewing
        if (await redis.get(lock)) == token.encode():
            await redis.delete(lock)


async def _renew(redis: Redis, lock: str, token: str) -> None:
    while True:
        await asyncio.sleep(LOCK_RENEW_S)
        # Renew only our own lock: if it expired and someone else took it, stop claiming it.
        if (await redis.get(lock)) != token.encode():
            raise ReindexLost("the reindex lock expired")
        await redis.expire(lock, LOCK_TTL_S)


def _holding(renewing: asyncio.Task) -> None:
    if renewing.done() and not renewing.cancelled() and renewing.exception() is not None:
        raise ReindexLost("the reindex lock expired; not swapping")


async def _rebuild(es: AsyncElasticsearch, redis: Redis, driver: AsyncDriver, prefix: str, spec: IndexSpec,
                   check_lock: Callable[[], None], progress: Callable[[str], None]) -> ReindexReport:
    started = time.monotonic()
    outbox, indexer = Outbox(redis, prefix), Indexer(es, redis, driver, prefix)
    await _remove_leftovers(es, redis, prefix, spec)
    target = spec.new_index_name()
    await es.indices.create(index=target, settings={"refresh_interval": "-1"})
    since = await outbox.now_id()
    await reindex_state.register(redis, prefix, spec.alias, target, since)
    try:
        copied = await _copy(es, driver, spec, target, entry_version(since), progress)
        entries = await outbox.since(since)
        replayed = await indexer.apply(entries, targets={spec.kind: [target]}) if entries else 0
        await es.indices.put_settings(index=target, settings={"refresh_interval": "1s"})
        await es.indices.refresh(index=target)
        check_lock()
        previous = await swap_alias(es, spec.alias, target)
    except BaseException:
        await reindex_state.unregister(redis, prefix, spec.alias)
        await es.indices.delete(index=target, ignore_unavailable=True)
        raise
    await reindex_state.unregister(redis, prefix, spec.alias)
    for old in previous:
        await es.indices.delete(index=old, ignore_unavailable=True)
    progress(f"{spec.alias}: {copied} copied, {replayed} replayed, now {target}")
    return ReindexReport(spec.alias, target, tuple(previous), copied, replayed, time.monotonic() - started)


async def _remove_leftovers(es: AsyncElasticsearch, redis: Redis, prefix: str, spec: IndexSpec) -> None:
    """Indexes of this alias that the alias does not use: a reindex that died left them (or a
    late write of an indexer re-created one)."""
    await reindex_state.unregister(redis, prefix, spec.alias)
    live = set(await indexes_behind(es, spec.alias))
    existing = await es.indices.get(index=f"{spec.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
    for index in set(existing.keys()) - live:
        await es.indices.delete(index=index, ignore_unavailable=True)


async def _copy(es: AsyncElasticsearch, driver: AsyncDriver, spec: IndexSpec, target: str, version: int,
                progress: Callable[[str], None]) -> int:
    page_of, to_doc = ((search_source.posts_after, post_document) if spec.kind == POSTS
                       else (search_source.users_after, user_document))
    copied = 0
    rows = await page_of(driver, -(2**63), COPY_PAGE)
    while rows:
        # Read the next page from Neo4j while this one is written to Elasticsearch.
        following = asyncio.create_task(page_of(driver, rows[-1]["id"], COPY_PAGE))
        try:
            await bulk(es, copy_ops(target, [to_doc(r) for r in rows], version))
        except BaseException:
            following.cancel()
            raise
        copied += len(rows)
        if copied % (COPY_PAGE * 25) == 0:
            progress(f"{spec.alias}: {copied} copied")
        rows = await following
    return copied
