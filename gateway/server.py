"""`raygram serve`: run the gateway until SIGTERM/SIGINT, then shut down gracefully."""
from __future__ import annotations

import logging

import ray
from aiohttp import web

from core.config import Settings

from .app import create_app
from .mastodon.app import listener_ctx as mastodon_listener_ctx

log = logging.getLogger("raygram")


def serve(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per Elasticsearch request or per "constraint already exists" would drown the log.
    for noisy in ("elastic_transport", "neo4j.notifications"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log.info("gateway starting on %s", settings.public_url)
    # run_app stops accepting, lets in-flight requests finish (up to shutdown_timeout), then runs
    # the cleanup contexts, which close every client.
    app = create_app(settings)
    if settings.mastodon_port:
        # The Mastodon-compatible API on its own listener, in this process, over the same use
        # cases; started after (and stopped before) every connection the main app opens.
        app.cleanup_ctx.append(mastodon_listener_ctx)
    web.run_app(app, host=settings.host, port=settings.port, shutdown_timeout=15, access_log=None, print=None)
    if ray.is_initialized():
        ray.shutdown()
    log.info("gateway stopped")
