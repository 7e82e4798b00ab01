"""`raygram serve`: run the gateway until SIGTERM/SIGINT, then shut down gracefully; as one process,
or as several worker processes on the same addresses (gateway/workers.py)."""
from __future__ import annotations

import logging

import ray
from aiohttp import web

from core.config import Settings

from .app import create_app
from .mastodon.app import listener_ctx as mastodon_listener_ctx
from .workers import supervise, worker_count

log = logging.getLogger("raygram")


# Which worker answered (1..N; 0 for a single-process gateway): for operators checking how a
# load balancer or the kernel spreads connections, and for the tests that prove every worker serves.
WORKER_HEADER = "X-Raygram-Worker"


def serve(settings: Settings) -> None:
    _logging()
    count = worker_count(settings)
    if count == 1:
        serve_worker(settings, 0)
    else:
        supervise(settings, count)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per Elasticsearch request or per "constraint already exists" would drown the log.
    for noisy in ("elastic_transport", "neo4j.notifications"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve_worker(settings: Settings, index: int) -> None:
    _logging()
    log.info("gateway %sstarting on %s", f"worker {index} " if index else "", settings.public_url)
    # run_app stops accepting, lets in-flight requests finish (up to shutdown_timeout), then runs
    # the cleanup contexts, which close every client.
    app = create_app(settings)
    if settings.mastodon_port:
        # The Mastodon-compatible API on its own listener, in this process, over the same use
        # cases; started after (and stopped before) every connection the main app opens.
        app.cleanup_ctx.append(mastodon_listener_ctx)

    async def name_worker(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers[WORKER_HEADER] = str(index)

    app.on_response_prepare.append(name_worker)
    # reuse_port: the other workers bind the same address; the kernel spreads connections.
    web.run_app(app, host=settings.host, port=settings.port, shutdown_timeout=15, access_log=None, print=None,
                reuse_port=True)
    if ray.is_initialized():
        ray.shutdown()
    log.info("gateway stopped")
