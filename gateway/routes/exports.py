"""Data export (issue 23): the caller's archive, built as a Ray task, downloadable for 7 days."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import schemas
from ..auth import current_user_id
from ..http import json_response
from ..keys import EXPORTS, MEDIA_URLS
from ..openapi import describe
from ..views import rfc3339


def _view(request: web.Request, state: dict[str, Any]) -> dict[str, Any]:
    ready = state["state"] == "ready"
    return {
        "state": state["state"],
        "requested_at": rfc3339(state.get("requested_at")),
        "ready_at": rfc3339(state.get("ready_at")) if ready else None,
        "expires_at": rfc3339(state.get("expires_at")) if ready else None,
        "size_bytes": state.get("bytes") if ready else None,
        # Signed like media URLs: works without the bearer token, for a limited time.
        "url": request.app[MEDIA_URLS].urls([state["key"]])[state["key"]] if ready else None,
    }


@describe(responses=schemas.responses({202: "Export"}, 404))
async def start_export(request: web.Request) -> web.Response:
    """Start building an archive of the caller's data (or return the build under way)."""
    user_id = await current_user_id(request)
    state = await request.app[EXPORTS].start(user_id)
    return json_response(_view(request, state), status=202)


@describe(responses=schemas.responses({200: "Export"}))
async def get_export(request: web.Request) -> web.Response:
    """The caller's latest export: its state and, once ready, a download URL (kept 7 days)."""
    user_id = await current_user_id(request)
    return json_response(_view(request, await request.app[EXPORTS].status(user_id)))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/me/export", start_export)
    app.router.add_get("/api/v1/me/export", get_export)
