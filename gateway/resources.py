"""Connections to the backing services, as aiohttp cleanup contexts.

Each opens its client, makes sure its part of the schema exists (constraints, indexes, bucket,
shard actors; every step idempotent, so any number of gateway processes may start at once), and
closes the client on shutdown.
"""
from __future__ import annotations

from typing import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

from actors.shards import ShardLink
from graph.driver import open_driver
from graph.schema import apply_schema
from media.storage import ensure_bucket, open_s3
from search.client import open_client
from search.indexes import ensure_indexes

from .keys import NEO4J, REDIS, S3, SEARCH, SETTINGS, SHARDS


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    client = aioredis.from_url(app[SETTINGS].redis_url, socket_connect_timeout=2, socket_timeout=5,
                               health_check_interval=15, retry_on_timeout=False)
    app[REDIS] = client
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
    yield
    # The driver connection is per process and outlives this app (tests build many apps in one
    # process); `raygram serve` disconnects when the process exits.


CONTEXTS = (redis_ctx, neo4j_ctx, search_ctx, s3_ctx, ray_ctx)
