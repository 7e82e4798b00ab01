"""Connections to the backing services, as aiohttp cleanup contexts.

Each opens its client, makes sure its part of the schema exists (constraints, indexes, bucket,
shard actors; every step idempotent, so any number of gateway processes may start at once), and
closes the client on shutdown.
"""
from __future__ import annotations

from typing import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

from actors.feed_port import NoFeedEffects
from actors.shards import ShardLink
from core import redis_keys
from core.ids import MAX_WORKER, IdGenerator
from graph.driver import open_driver
from graph.schema import apply_schema
from media.storage import ensure_bucket, open_s3
from search.client import open_client
from search.indexes import ensure_indexes

from .keys import FEED, IDS, NEO4J, REDIS, S3, SEARCH, SESSIONS, SETTINGS, SHARDS
from .sessions import SessionStore


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client = aioredis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5,
                               health_check_interval=15, retry_on_timeout=False)
    app[REDIS] = client
    app[SESSIONS] = SessionStore(client, settings.session_ttl_s)
    # Each process leases its own ID-generator worker id, so ids never collide across gateways.
    worker = (await client.incr(redis_keys.id_worker_counter())) % (MAX_WORKER + 1)
    app[IDS] = IdGenerator(worker)
    yield
    await client.aclose()


async def neo4j_ctx(app: web.Application) -> AsyncIterator[None]:
    driver = open_driver(app[SETTINGS])
    await apply_schema(driver)
    app[NEO4J] = driver
    yield
    await driver.close()


async def search_ctx(app: web.Application) -> AsyncIterator[None]:
    es = open_client(app[SETTINGS])
    try:
        await ensure_indexes(es, app[SETTINGS].es_index_prefix)
    except BaseException:
        await es.close()
        raise
    app[SEARCH] = es
    yield
    await es.close()


async def s3_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with open_s3(settings) as s3:
        await ensure_bucket(s3, settings.s3_bucket)
        app[S3] = s3
        yield


async def ray_ctx(app: web.Application) -> AsyncIterator[None]:
    link = ShardLink(app[SETTINGS])
    await link.start()
    app[SHARDS] = link
    app[FEED] = NoFeedEffects()
    yield
    # The driver connection is per process and outlives this app (tests build many apps in one
    # process); `raygram serve` disconnects when the process exits.


CONTEXTS = (redis_ctx, neo4j_ctx, search_ctx, s3_ctx, ray_ctx)
