"""The aiohttp application factory."""
from __future__ import annotations

from aiohttp import web

from core.config import Settings, load_settings

from . import health, metrics, openapi
from .routes import accounts, engagement, feed, notifications, posts, search, social, stream
from .routes import avatars, exports, safety, saved, web as web_client
from .keys import SETTINGS
from .middleware import error_middleware
from .resources import CONTEXTS

# Uploads are 1-10 media of at most 10 MB each plus form fields; anything bigger is refused while
# reading (413), never buffered whole.
MAX_BODY_BYTES = 10 * 10 * 1024 * 1024 + 64 * 1024


def create_app(settings: Settings | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings or load_settings()
    metrics.install(app)
    app.cleanup_ctx.extend(CONTEXTS)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics)
    app.router.add_get("/api/v1/openapi.json", openapi.openapi)
    accounts.setup(app)
    avatars.setup(app)
    social.setup(app)
    safety.setup(app)
    posts.setup(app)
    feed.setup(app)
    engagement.setup(app)
    saved.setup(app)
    exports.setup(app)
    notifications.setup(app)
    search.setup(app)
    stream.setup(app)
    web_client.setup(app)
    return app
