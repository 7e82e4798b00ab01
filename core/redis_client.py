"""Redis clients for the gateway and the shard actors.

A blocking pool: under a burst (thousands of sockets connecting at once) callers wait briefly
for a connection instead of failing at the pool's limit.

Connection errors are retried on a fresh connection (commands and pipelines alike): after a
Redis restart every pooled connection is dead, and without a retry each one fails a call once
(redis-py's default retries nothing). Only connection errors: a command that timed out may have
run, and retrying it could apply a non-idempotent one twice.
"""
from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

MAX_CONNECTIONS = 256
WAIT_FOR_CONNECTION_S = 5
# Tries after the first: one replaces a dead pooled connection, the rest ride out a restart.
CONNECTION_RETRIES = 3


def open_redis(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=WAIT_FOR_CONNECTION_S,
        socket_connect_timeout=2, socket_timeout=5, health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), CONNECTION_RETRIES,
                    supported_errors=(RedisConnectionError,)))
    return aioredis.Redis(connection_pool=pool)
