"""Notifications, search, markers, and the empty lists clients fetch at start-up for features
Raygram does not have (custom emojis, filters, lists, announcements...)."""
from __future__ import annotations

import io
import json
import time

from aiohttp import web

from core.errors import NotFound, ValidationFailed
from core.ids import parse_id
from gateway.keys import NEO4J, SEARCH_READS
from gateway.views import rfc3339
from graph import mastodon_reads, notifications as graph_notifications
from search import queries

from . import entities, paging
from .auth import user_id
from .http import base_url, many, page_response, params, path_id
from .keys import MARKERS, PRESENTER
from .routes_accounts import search_users

_MASTODON_TO_RAYGRAM = {v: k for k, v in entities.NOTIFICATION_TYPES.items()}
MARKER_TIMELINES = ("home", "notifications")


def _types(request: web.Request) -> list[str]:
    wanted = many(request.query, "types") or list(_MASTODON_TO_RAYGRAM)
    excluded = set(many(request.query, "exclude_types"))
    return [_MASTODON_TO_RAYGRAM[t] for t in wanted if t in _MASTODON_TO_RAYGRAM and t not in excluded]


async def list_notifications(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:notifications")
    page = paging.parse(request.query, max_limit=80)
    rows = await mastodon_reads.notifications_page(request.app[NEO4J], viewer, below=page.max_id, above=page.lower,
                                                   oldest_first=page.forward, limit=page.limit, types=_types(request))
    items = await request.app[PRESENTER].notifications(viewer, rows, base_url(request))
    # The Link header pages by the rows read, so a skipped row (its post since deleted) is never re-read.
    cursors = [str(r["id"]) for r in rows]
    response = page_response(request, items, cursors)
    return response


async def get_notification(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:notifications")
    rows = await graph_notifications.by_ids(request.app[NEO4J], viewer, [path_id(request)])
    items = await request.app[PRESENTER].notifications(viewer, rows, base_url(request))
    if not items:
        raise NotFound("Record not found")
    return web.json_response(items[0])


async def search_v2(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:search")
    q = (request.query.get("q") or "").strip()
    kind = request.query.get("type")
    limit = paging.parse(request.query).limit
    base = base_url(request)
    out = {"accounts": [], "statuses": [], "hashtags": []}
    if not q or len(q) > 200:
        return web.json_response(out)
    if kind in (None, "", "accounts"):
        out["accounts"] = await search_users(request, viewer, q, limit)
    if kind in (None, "", "statuses"):
        try:
            query = queries.parse_post_query(q)
        except ValidationFailed:
            query = None
        if query is not None:
            posts, _ = await request.app[SEARCH_READS].posts(viewer, query, limit, None)
            out["statuses"] = await request.app[PRESENTER].statuses(posts, base)
    if kind in (None, "", "hashtags"):
        name = q.lstrip("#").casefold()
        if name and all(ch.isalnum() or ch == "_" for ch in name) and len(name) <= 100:
            out["hashtags"] = [entities.tag(name, base)]
    return web.json_response(out)


async def get_markers(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    wanted = [t for t in many(request.query, "timeline") if t in MARKER_TIMELINES] or list(MARKER_TIMELINES)
    return web.json_response(await request.app[MARKERS].get(viewer, wanted))


async def set_markers(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:statuses")
    values = await params(request)
    out = {}
    for timeline in MARKER_TIMELINES:
        last = values.get(f"{timeline}[last_read_id]") or values.get(f"{timeline}.last_read_id")
        if last is None and values.get(timeline):
            try:
                nested = json.loads(values[timeline]) if values[timeline].startswith("{") else {}
            except ValueError:
                nested = {}
            last = nested.get("last_read_id") if isinstance(nested, dict) else None
        if last is None:
            continue
        last_id = parse_id(str(last))
        if last_id is None:
            raise ValidationFailed("last_read_id must be an id.", code="invalid_last_read_id")
        out[timeline] = await request.app[MARKERS].set(viewer, timeline, last_id, rfc3339(int(time.time() * 1000)))
    return web.json_response(out)


async def empty_list(request: web.Request) -> web.Response:
    await user_id(request, "read")
    return web.json_response([])


async def public_empty_list(request: web.Request) -> web.Response:
    return web.json_response([])


async def preferences(request: web.Request) -> web.Response:
    await user_id(request, "read:accounts")
    return web.json_response({"posting:default:visibility": "public", "posting:default:sensitive": False,
                              "posting:default:language": None, "reading:expand:media": "default",
                              "reading:expand:spoilers": False})


def _placeholder_png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (128, 128, 128)).save(out, "PNG")
    return out.getvalue()


# Raygram has no header images, and an account may have no photo: those point at this grey pixel,
# so an app's image loader gets an image rather than a 404.
_PLACEHOLDER = _placeholder_png()


async def placeholder(request: web.Request) -> web.Response:
    return web.Response(body=_PLACEHOLDER, content_type="image/png", headers={"Cache-Control": "max-age=86400"})


async def health(request: web.Request) -> web.Response:
    """Mastodon's liveness check (what its load balancers and `raygram stack status` ask)."""
    return web.Response(text="OK")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/health", health)
    r.add_get(entities.PLACEHOLDER_AVATAR, placeholder)
    r.add_get("/headers/original/missing.png", placeholder)
    r.add_get("/api/v1/notifications", list_notifications)
    r.add_get("/api/v1/notifications/{id}", get_notification)
    r.add_get("/api/v2/search", search_v2)
    r.add_get("/api/v1/markers", get_markers)
    r.add_post("/api/v1/markers", set_markers)
    r.add_get("/api/v1/preferences", preferences)
    r.add_get("/api/v1/custom_emojis", public_empty_list)
    for path in ("/api/v1/filters", "/api/v2/filters", "/api/v1/lists", "/api/v1/announcements",
                 "/api/v1/followed_tags",
                 "/api/v1/conversations", "/api/v1/scheduled_statuses"):
        r.add_get(path, empty_list)
