"""The Mastodon application: a second aiohttp Application, built from the main one's shared
objects (the same use cases, stores, fan-out, event log and live hub), served on its own
listener by the same gateway process (``listener_ctx``).
"""
from __future__ import annotations

import json
import logging
import time
from typing import AsyncIterator

from aiohttp import web

from core.config import Settings
from core.oauth_rules import OAuthError
from gateway import keys as shared
from gateway.auth import client_address
from gateway.listener import Listener
from gateway.middleware import error_middleware
from gateway.wiring import build_mastodon
from stores.sweep_locks import SweepLocks
from usecases.periodic import Periodic

from . import entities, ratelimit
from .auth import remember, token_of
from .keys import MEDIA_LIBRARY, OAUTH_TOKENS
from . import nodeinfo, routes_accounts, routes_oauth, routes_statuses, routes_misc, streaming

log = logging.getLogger(__name__)

# What the Mastodon app takes from the main app, by reference: one set of connections and use
# cases per process, whichever listener a request came in on.
SHARED_KEYS = (shared.SETTINGS, shared.REDIS, shared.NEO4J, shared.SEARCH, shared.S3, shared.IDS, shared.FEED,
               shared.SEARCH_EFFECTS, shared.MEDIA_POOL, shared.EVENTS, shared.LIVE, shared.MEDIA_URLS, shared.EVENT_VIEWS,
               shared.ACCOUNTS, shared.SOCIAL, shared.POSTS, shared.ENGAGEMENT, shared.HYDRATOR, shared.HOME_FEED,
               shared.SEARCH_READS, shared.SESSIONS, shared.AVATARS, shared.SAFETY, shared.SAVED,
               shared.PUBLISHER, shared.MEDIA_INGEST, shared.USER_CARDS)
STALE_SWEEP_S = 3600
# Bodies read whole (forms, JSON). Media uploads are streamed to disk and bounded by their own
# limits while read (gateway/uploads.media_form: a photo's, or a video's).
MAX_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024


@web.middleware
async def mastodon_errors(request: web.Request, handler) -> web.StreamResponse:
    """Mastodon's error bodies (``{"error": "..."}``; OAuth's with ``error_description``), from
    the same typed errors the v1 middleware maps, with X-RateLimit-* on every 429."""
    async def oauth_aware(req: web.Request) -> web.StreamResponse:
        try:
            return await handler(req)
        except OAuthError as err:
            return web.json_response({"error": err.error, "error_description": err.description}, status=err.status,
                                     headers=err.headers)

    response = await error_middleware(request, oauth_aware)
    if response.status < 400 or response.content_type != "application/json" or response.prepared:
        return response
    try:
        error = json.loads(response.body)["error"]
        message, code = error["message"], error.get("code", "")
    except (TypeError, ValueError, KeyError):
        return response             # already Mastodon's shape (OAuth, rate limit)
    body = {"error": message}
    if response.status == 422:
        body = entities.validation_error(message, code)
    out = web.json_response(body, status=response.status)
    for name in ("Retry-After", "Allow", *_RATE_HEADERS):
        if name in response.headers:
            out.headers[name] = response.headers[name]
    if response.status == 429 and "X-RateLimit-Limit" not in out.headers:
        # A use case's own limit (logins, posts per day): Mastodon clients read these headers.
        retry = int(response.headers.get("Retry-After", "1"))
        limit = request.app[shared.SETTINGS].mastodon_requests_per_window
        out.headers.update(ratelimit.headers(ratelimit.Window(limit, limit + 1, retry), time.time()))
    return out


_RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
# Health checks (the stack's supervisor asks every 5 s) must not spend the address's budget.
UNLIMITED_PATHS = frozenset({"/health"})


@web.middleware
async def rate_limit(request: web.Request, handler) -> web.StreamResponse:
    if request.path in UNLIMITED_PATHS:
        return await handler(request)
    settings = request.app[shared.SETTINGS]
    # The token is checked first (the handler reuses the lookup): a window per account, never
    # per token text.
    # Both in one Redis round trip (gateway/mastodon/ratelimit.resolve_and_count).
    redis, token = request.app[shared.REDIS], token_of(request)
    if token:
        grant, window = await ratelimit.resolve_and_count(
            redis, request.app[OAUTH_TOKENS], token, client_address(request),
            settings.mastodon_requests_per_window, settings.mastodon_window_s)
        remember(request, grant)
    else:
        window = await ratelimit.count(redis, ratelimit.subject(None, client_address(request)),
                                       settings.mastodon_requests_per_window, settings.mastodon_window_s)
    headers = ratelimit.headers(window, time.time())
    if window.exceeded:
        return web.json_response({"error": "Too many requests"}, status=429,
                                 headers={**headers, "Retry-After": str(max(window.reset_in_s, 1))})
    response = await handler(request)
    if not response.prepared:
        response.headers.update(headers)
    return response


def build(main: web.Application, settings: Settings | None = None) -> web.Application:
    """The Mastodon app over ``main``'s shared objects (``main`` must be started); ``settings``
    replaces the main app's for this app alone (tests of its own limits)."""
    # Clients ask for some paths with a trailing slash (Mastodon.py: /api/v1/instance/): one
    # redirect to the path without it, which keeps its method and body (308).
    trailing = web.normalize_path_middleware(append_slash=False, remove_slash=True,
                                             redirect_class=web.HTTPPermanentRedirect)
    app = web.Application(middlewares=[trailing, mastodon_errors, rate_limit], client_max_size=MAX_BODY_BYTES)
    for key in SHARED_KEYS:
        app[key] = main[key]
    if settings is not None:
        app[shared.SETTINGS] = settings
    # Its own objects are built where every other one is (gateway/wiring.py).
    build_mastodon(app, app[shared.SETTINGS])
    routes_oauth.setup(app)
    routes_accounts.setup(app)
    routes_statuses.setup(app)
    routes_misc.setup(app)
    streaming.setup(app)
    nodeinfo.setup(app)
    app.cleanup_ctx.append(_stale_media_ctx)
    return app


async def _stale_media_ctx(app: web.Application) -> AsyncIterator[None]:
    # One process per interval across all gateways.
    sweeper = Periodic("staged-media", STALE_SWEEP_S, lambda: _forget_stale(app), locks=SweepLocks(app[shared.REDIS]))
    sweeper.start()
    yield
    await sweeper.stop()


async def _forget_stale(app: web.Application) -> None:
    if n := await app[MEDIA_LIBRARY].forget_stale():
        log.info("deleted %d staged uploads nobody posted", n)


async def listener_ctx(main: web.Application) -> AsyncIterator[None]:
    """A cleanup context of the main app (after every other): serve the Mastodon app on its own
    address for as long as the main app runs, and let /readyz say whether it does."""
    settings = main[shared.SETTINGS]
    listener = Listener("Mastodon-compatible API", build(main), settings.mastodon_host, settings.mastodon_port)
    main[shared.LISTENERS] = {"mastodon": listener}
    await listener.start()
    yield
    await listener.stop()
