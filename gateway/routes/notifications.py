"""Notifications: newest first, marked read up to an id."""
from __future__ import annotations

from aiohttp import web

from core import cursors
from core.errors import ValidationFailed
from graph import notifications

from ..auth import current_user_id
from ..http import json_object, no_content, read_json
from ..keys import NEO4J
from ..openapi import describe
from ..views import notification_view


async def list_notifications(request: web.Request) -> web.Response:
    """The caller's notifications, newest first."""
    viewer = await current_user_id(request)
    limit = cursors.parse_limit(request.query.get("limit"))
    before = cursors.decode(request.query.get("cursor"))
    rows = await notifications.page(request.app[NEO4J], viewer, before[0] if before else None, limit)
    page = cursors.page(rows, limit, key=lambda n: (n["id"],))
    return web.json_response({"items": [notification_view(n) for n in page["items"]],
                              "next_cursor": page["next_cursor"]})


@describe(responses={"204": {"description": "marked read"}})
async def mark_read(request: web.Request) -> web.Response:
    """Mark notifications read up to (and including) an id."""
    viewer = await current_user_id(request)
    body = json_object(await read_json(request))
    raw = body.get("up_to")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 19:
        raise ValidationFailed("up_to must be a notification id.", code="invalid_up_to")
    await notifications.mark_read(request.app[NEO4J], viewer, int(raw))
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/notifications", list_notifications)
    app.router.add_post("/api/v1/notifications/read", mark_read)
