"""Redis clients for the gateway and the shard actors.

A blocking pool: under a burst (thousands of sockets connecting at once) callers wait briefly
for a connection instead of failing at the pool's limit.
"""
from __future__ import annotations

import redis.asyncio as aioredis

MAX_CONNECTIONS = 256
WAIT_FOR_CONNECTION_S = 5


def open_redis(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=WAIT_FOR_CONNECTION_S,
        socket_connect_timeout=2, socket_timeout=5, health_check_interval=15)
    return aioredis.Redis(connection_pool=pool)
