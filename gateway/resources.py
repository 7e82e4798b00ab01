"""Connections to the backing services, as aiohttp cleanup contexts.

Each opens its client, makes sure its part of the schema exists (constraints, indexes, bucket,
shard actors; every step idempotent, so any number of gateway processes may start at once), and
closes the client on shutdown.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from contextlib import AsyncExitStack
from typing import AsyncIterator

from aiohttp import web

from live.hub import LiveHub
from live.presence import Presence
from actors.feed_engine import FeedEngine
from core.redis_client import open_redis
from actors.shards import ShardLink
from core import redis_keys
from core.clock import now_ms
from core.ids import MAX_WORKER, IdGenerator
from graph.driver import open_driver
from graph.schema import apply_schema
from media.pool import MediaPool, WorkerLimits
from media.signed_urls import MediaUrlSigner
from media.storage import ensure_bucket, open_s3
from search.client import open_client
from search.indexer import Indexer
from search.indexes import POSTS, ensure_indexes, index_specs
from search.outbox import Outbox
from search.port import OutboxSearchEffects
from search.reconcile import reconcile_recent
from search.reindex import ReindexRunning, reindex
from search.worker import IndexWorker
from stores.event_log import EventLog
from stores.stream_slots import StreamSlots
from stores.sweep_locks import SweepLocks
from stores.sessions import SessionStore
from usecases.orphan_sweep import sweep_orphans
from usecases.periodic import Periodic

from .media_urls import MediaUrls
from .metrics import watch_indexer
from .keys import (ERASURE, EVENTS, EXPORTS, FEED, IDS, LIVE, MEDIA_POOL, MEDIA_URLS, NEO4J, REDIS, S3, SEARCH,
                   SEARCH_EFFECTS, SESSIONS, SETTINGS, SHARDS, VIDEOS)
from .wiring import usecases_ctx

log = logging.getLogger(__name__)


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client = open_redis(settings.redis_url)
    app[REDIS] = client
    app[SESSIONS] = SessionStore(client, settings.session_ttl_s)
    app[EVENTS] = EventLog(client, settings.event_log_min_events)
    # Presence marks are refreshed three times per TTL: one missed refresh never drops a reader.
    # Stream slots share the refresh: a slot lapses one presence TTL after its process stops.
    hub = LiveHub(settings.redis_url, Presence(client, settings.presence_ttl_s, settings.event_live_window_s),
                  presence_refresh_s=settings.presence_ttl_s / 3,
                  slots=StreamSlots(client, settings.streams_per_account, settings.presence_ttl_s))
    await hub.start()
    app[LIVE] = hub
    # Each process leases its own ID-generator worker id, so ids never collide across gateways.
    worker = (await client.incr(redis_keys.id_worker_counter())) % (MAX_WORKER + 1)
    app[IDS] = IdGenerator(worker)
    yield
    await hub.close()
    await client.aclose()


async def neo4j_ctx(app: web.Application) -> AsyncIterator[None]:
    driver = open_driver(app[SETTINGS])
    await apply_schema(driver)
    app[NEO4J] = driver
    yield
    await driver.close()


async def search_ctx(app: web.Application) -> AsyncIterator[None]:
    """Elasticsearch, the outbox that feeds it, and this process's indexer."""
    settings = app[SETTINGS]
    es = open_client(settings)
    try:
        outdated = await ensure_indexes(es, settings.es_index_prefix)
    except BaseException:
        await es.close()
        raise
    app[SEARCH] = es
    outbox = Outbox(app[REDIS], settings.es_index_prefix)   # the indexer creates its group
    app[SEARCH_EFFECTS] = OutboxSearchEffects(outbox)
    worker = IndexWorker(outbox, Indexer(es, app[REDIS], app[NEO4J], settings.es_index_prefix),
                         consumer=f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}",
                         batch=settings.search_batch, retry_max_s=settings.search_retry_max_s,
                         claim_idle_s=settings.search_claim_idle_s)
    watch_indexer(app, worker)
    indexing = asyncio.create_task(worker.run())
    # One process per interval across all gateways.
    reconciling = Periodic(f"search-reconcile:{settings.es_index_prefix}", settings.search_reconcile_every_s,
                           lambda: _reconcile(app, outbox), locks=SweepLocks(app[REDIS]))
    reconciling.start()
    chores = []
    if outdated:
        chores.append(asyncio.create_task(_migrate(app, tuple(s.kind for s in outdated))))
    yield
    await reconciling.stop()
    for task in chores:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await worker.stop(indexing)
    await es.close()


async def _reconcile(app: web.Application, outbox: Outbox) -> None:
    settings = app[SETTINGS]
    alias = index_specs(settings.es_index_prefix)[POSTS].alias
    end = now_ms() - settings.search_reconcile_settle_s * 1000
    queued = await reconcile_recent(app[SEARCH], app[NEO4J], outbox, alias,
                                    start_ms=end - settings.search_reconcile_lookback_s * 1000, end_ms=end)
    if queued:
        log.warning("search reconciler queued %d posts the index disagreed about", queued)


async def _migrate(app: web.Application, kinds: tuple[str, ...]) -> None:
    """A new mapping version: rebuild into it while the old index keeps serving."""
    try:
        await reindex(app[SEARCH], app[REDIS], app[NEO4J], app[SETTINGS].es_index_prefix, kinds=kinds,
                      progress=log.info)
    except ReindexRunning:
        log.info("another process is migrating the search indexes")
    except Exception:
        log.exception("search index migration failed; run `raygram search reindex`")


async def s3_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with AsyncExitStack() as stack:
        s3 = await stack.enter_async_context(open_s3(settings))
        await ensure_bucket(s3, settings.s3_bucket)
        app[S3] = s3
        # URLs name the endpoint clients reach, which may differ from the one the gateway uses.
        app[MEDIA_URLS] = MediaUrls(MediaUrlSigner(
            endpoint=settings.s3_public_endpoint, bucket=settings.s3_bucket, access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key, region=settings.s3_region, window_s=settings.media_url_ttl_s))
        yield


async def media_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    # Processes, not threads: Pillow work is CPU-bound. The pool replaces workers that die and
    # runs each under memory and CPU limits (media/pool.py).
    settings = app[SETTINGS]
    pool = MediaPool(settings.media_workers, WorkerLimits.from_settings(settings))
    app[MEDIA_POOL] = pool
    yield
    pool.close()


async def orphan_sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    # One sweeper at a time across gateway processes.
    sweeper = Periodic("orphan-media", app[SETTINGS].orphan_sweep_interval_s, lambda: _sweep_orphans(app),
                       locks=SweepLocks(app[REDIS]))
    sweeper.start()
    yield
    await sweeper.stop()


async def _sweep_orphans(app: web.Application) -> None:
    settings = app[SETTINGS]
    deleted = await sweep_orphans(app[S3], settings.s3_bucket, app[NEO4J], now_ms=now_ms(),
                                  grace_ms=settings.orphan_grace_s * 1000)
    if deleted:
        log.info("orphan sweeper deleted %d objects", deleted)


async def ray_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    link = ShardLink(settings, app[REDIS])
    await link.start()
    app[SHARDS] = link
    app[FEED] = FeedEngine(settings, link, app[REDIS], app[NEO4J])
    yield
    # The driver connection is per process and outlives this app (tests build many apps in one
    # process); `raygram serve` disconnects when the process exits.


async def video_sweeps_ctx(app: web.Application) -> AsyncIterator[None]:
    """Video posts left processing by a gateway that died are finished by this one (at start-up,
    then every ``video_sweep_s``); on shutdown this process's own are handed over."""
    videos = app[VIDEOS]
    task = asyncio.create_task(videos.run_sweeps())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await videos.close()


async def erase_sweeps_ctx(app: web.Application) -> AsyncIterator[None]:
    """Account erasures left by a gateway that died are finished by this one (at start-up, then
    every ``erase_sweep_s``), and data exports past their 7 days deleted; on shutdown this
    process's own erasures are handed over."""
    erasure, exports = app[ERASURE], app[EXPORTS]
    tasks = [asyncio.create_task(erasure.run_sweeps()), asyncio.create_task(exports.run_sweeps())]
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await erasure.close()
    await exports.close()


# The use cases last: they are built from every connection above.
CONTEXTS = (redis_ctx, neo4j_ctx, search_ctx, s3_ctx, media_pool_ctx, ray_ctx, orphan_sweeper_ctx, usecases_ctx,
            video_sweeps_ctx, erase_sweeps_ctx)
