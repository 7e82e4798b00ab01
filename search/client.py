"""The Elasticsearch client (major version pinned to the server's, see stack/versions.py)."""
from __future__ import annotations

from elasticsearch import AsyncElasticsearch

from core.config import Settings


def open_client(settings: Settings) -> AsyncElasticsearch:
    return AsyncElasticsearch(settings.es_url, request_timeout=10, max_retries=1, retry_on_timeout=False)


async def probe(es: AsyncElasticsearch) -> None:
    health = await es.cluster.health(timeout="1s")
    if health["status"] == "red":
        raise RuntimeError("cluster health is red")
