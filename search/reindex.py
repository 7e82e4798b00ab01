"""Rebuild a search index from Neo4j into a new index and swap the alias: no downtime.

1. Create the new index (refresh off while filling) and register it as a reindex target: from
   then on every indexer writes each change to it as well as to the alias.
2. Note the outbox position, then copy every post (user) from Neo4j page by page with
   create-only writes, so a fresher document an indexer already wrote is never overwritten.
3. Replay every outbox entry since that position into the new index: a copy read just before a
   delete or a change is corrected from the graph as it is now.
4. Move the alias in one atomic call, stop dual writes, delete the old index.

Searches read the old index until the alias moves, and the new one after: both are complete.
One reindex runs at a time (a Redis lock).
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from graph import search_source

from .documents import post_document, user_document
from .indexer import Indexer, bulk, create_ops
from .indexes import POSTS, IndexSpec, index_specs, swap_alias
from .outbox import Outbox

COPY_PAGE = 2000
LOCK_TTL_S = 600


class ReindexRunning(Exception):
    """Another reindex holds the lock."""


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
    lock, token = redis_keys.sweep_lock(f"search-reindex:{prefix}"), secrets.token_hex(8)
    if not await redis.set(lock, token, nx=True, ex=LOCK_TTL_S):
        raise ReindexRunning("another reindex is running")
    try:
        specs = index_specs(prefix)
        return [await _rebuild(es, redis, driver, prefix, specs[kind], lock, progress)
                for kind in (kinds or tuple(specs))]
    finally:
        if (await redis.get(lock)) == token.encode():
            await redis.delete(lock)


async def _rebuild(es: AsyncElasticsearch, redis: Redis, driver: AsyncDriver, prefix: str, spec: IndexSpec,
                   lock: str, progress: Callable[[str], None]) -> ReindexReport:
    started = time.monotonic()
    outbox, indexer = Outbox(redis, prefix), Indexer(es, redis, driver, prefix)
    target = spec.new_index_name()
    await es.indices.create(index=target, settings={"refresh_interval": "-1"})
    since = await outbox.now_id()
    await redis.hset(redis_keys.search_reindex(), spec.alias, json.dumps({"target": target, "since": since}))
    try:
        copied = await _copy(es, driver, spec, target, redis, lock, progress)
        entries = await outbox.since(since)
        replayed = await indexer.apply(entries, targets={spec.kind: [target]}) if entries else 0
        await es.indices.put_settings(index=target, settings={"refresh_interval": "1s"})
        await es.indices.refresh(index=target)
        previous = await swap_alias(es, spec.alias, target)
    except BaseException:
        await redis.hdel(redis_keys.search_reindex(), spec.alias)
        await es.indices.delete(index=target, ignore_unavailable=True)
        raise
    await redis.hdel(redis_keys.search_reindex(), spec.alias)
    for old in previous:
        await es.indices.delete(index=old, ignore_unavailable=True)
    progress(f"{spec.alias}: {copied} copied, {replayed} replayed, now {target}")
    return ReindexReport(spec.alias, target, tuple(previous), copied, replayed, time.monotonic() - started)


async def _copy(es: AsyncElasticsearch, driver: AsyncDriver, spec: IndexSpec, target: str, redis: Redis,
                lock: str, progress: Callable[[str], None]) -> int:
    page_of, to_doc = ((search_source.posts_after, post_document) if spec.kind == POSTS
                       else (search_source.users_after, user_document))
    copied = 0
    rows = await page_of(driver, -(2**63), COPY_PAGE)
    while rows:
        # Read the next page from Neo4j while this one is written to Elasticsearch.
        following = asyncio.create_task(page_of(driver, rows[-1]["id"], COPY_PAGE))
        try:
            await bulk(es, create_ops(target, [to_doc(r) for r in rows]))
        except BaseException:
            following.cancel()
            raise
        copied += len(rows)
        await redis.expire(lock, LOCK_TTL_S)
        if copied % (COPY_PAGE * 25) == 0:
            progress(f"{spec.alias}: {copied} copied")
        rows = await following
    return copied
