"""Liveness and readiness.

``/healthz`` says the process serves requests. ``/readyz`` probes every backing service at once,
each under its own timeout, and answers 503 naming the ones that are down. Clients reconnect on
their own, so a service that comes back turns ``/readyz`` green without a gateway restart.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from aiohttp import web

from graph import driver as graph_driver
from media import storage
from search import client as search_client

from .keys import LISTENERS, MEDIA_POOL, NEO4J, REDIS, S3, SEARCH, SETTINGS, SHARDS

Probe = Callable[[web.Application], Awaitable[object]]

PROBES: dict[str, Probe] = {
    "redis": lambda app: app[REDIS].ping(),
    "neo4j": lambda app: graph_driver.probe(app[NEO4J]),
    "elasticsearch": lambda app: search_client.probe(app[SEARCH]),
    "s3": lambda app: storage.probe(app[S3], app[SETTINGS].s3_bucket),
    "ray": lambda app: app[SHARDS].probe(app[SETTINGS].probe_timeout_s),
    # The Pillow worker pool: a worker that died is replaced here if no upload did it first.
    "media": lambda app: app[MEDIA_POOL].probe(),
}


async def _run_probe(name: str, probe: Probe, app: web.Application, timeout: float) -> tuple[str, dict]:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(probe(app), timeout)
    except asyncio.TimeoutError:
        return name, {"status": "error", "error": f"no answer within {timeout:g}s"}
    except Exception as exc:  # a probe reports any failure; it never raises
        return name, {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return name, {"status": "ok", "latency_ms": round((time.perf_counter() - start) * 1000, 1)}


def _probes(app: web.Application) -> dict[str, Probe]:
    """The backing services, then this process's other listeners (an address it should serve but
    does not hold makes it unready as much as a service that is down)."""
    listeners = {name: (lambda app, lst=lst: lst.probe()) for name, lst in app.get(LISTENERS, {}).items()}
    return {**PROBES, **listeners}


async def readiness(app: web.Application) -> dict[str, dict]:
    timeout = app[SETTINGS].probe_timeout_s
    results = await asyncio.gather(*(_run_probe(n, p, app, timeout) for n, p in _probes(app).items()))
    return dict(results)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the gateway process is serving."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: every backing service with its state; 503 when one is down."""
    services = await readiness(request.app)
    down = sorted(name for name, state in services.items() if state["status"] != "ok")
    body = {"ready": not down, "down": down, "services": services}
    if down:
        return web.json_response(body, status=503, headers={"Retry-After": "5"})
    return web.json_response(body)
