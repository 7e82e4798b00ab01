"""Notifications: newest first, marked read up to an id."""
from __future__ import annotations

from aiohttp import web

from core.errors import ValidationFailed
from core.ids import parse_id

from .. import schemas
from ..auth import current_user_id
from ..http import each, json_object, no_content, paged, read_json, resume_field
from ..keys import NOTIFIER, RESUME_POINTS
from ..openapi import describe
from ..views import notification_view


@describe(query=schemas.PAGING, responses=schemas.responses({200: "NotificationPage"}, 400, 422))
async def list_notifications(request: web.Request) -> web.Response:
    """The caller's notifications, newest first."""
    viewer = await current_user_id(request)
    notifier, resume = request.app[NOTIFIER], request.app[RESUME_POINTS]
    return await paged(request, lambda before, limit: notifier.page(viewer, before, limit),
                       key=lambda n: (n["id"],), render=each(notification_view),
                       first_page=lambda: resume_field(resume, viewer))


@describe(requestBody=schemas.json_body("MarkRead"),
          responses=schemas.responses({204: None}, 400, 413, 422))
async def mark_read(request: web.Request) -> web.Response:
    """Mark notifications read up to (and including) an id."""
    viewer = await current_user_id(request)
    body = json_object(await read_json(request))
    up_to = parse_id(body.get("up_to"))     # a decimal string, or a JSON integer
    if up_to is None:
        raise ValidationFailed("up_to must be a notification id.", code="invalid_up_to")
    await request.app[NOTIFIER].mark_read(viewer, up_to)
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/notifications", list_notifications)
    app.router.add_post("/api/v1/notifications/read", mark_read)
