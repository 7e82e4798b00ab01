"""Prometheus metrics: request counts and latencies per route, exposed at ``GET /metrics``.

Each app gets its own registry, so several apps in one process (the tests) don't collide.
"""
from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .keys import METRICS

_REQUESTS = "raygram_http_requests_total"
_LATENCY = "raygram_http_request_duration_seconds"


def install(app: web.Application) -> None:
    registry = CollectorRegistry()
    app[METRICS] = registry
    requests = Counter(_REQUESTS, "HTTP requests handled", ["method", "route", "status"], registry=registry)
    latency = Histogram(_LATENCY, "HTTP request latency", ["method", "route"], registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10))

    @web.middleware
    async def metrics_middleware(request: web.Request, handler) -> web.StreamResponse:
        # The route template, not the raw path: label cardinality stays bounded.
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            requests.labels(request.method, route, str(status)).inc()
            latency.labels(request.method, route).observe(time.perf_counter() - start)

    # Outermost, so that the status counted is the one the error middleware produced.
    app.middlewares.insert(0, metrics_middleware)


def watch_indexer(app: web.Application, worker) -> None:
    """The search indexer's progress, read at scrape time."""
    registry = app[METRICS]
    Gauge("raygram_search_indexed_documents", "Documents this process wrote to or deleted from the search index",
          registry=registry).set_function(lambda: worker.indexed)
    Gauge("raygram_search_index_retries", "Indexing batches this process retried (a service was down)",
          registry=registry).set_function(lambda: worker.failures)
    Gauge("raygram_search_outbox_backlog", "Outbox entries not yet indexed (all processes; refreshed every 15 s)",
          registry=registry).set_function(lambda: worker.backlog)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics in the text exposition format."""
    body = generate_latest(request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
