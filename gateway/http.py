"""Small request helpers shared by the route modules."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from core import cursors
from core.errors import BadRequest


async def read_json(request: web.Request) -> Any:
    try:
        raw = await request.read()
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body must be valid JSON.", code="invalid_json") from None


def json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", code="invalid_json")
    return body


def no_content() -> web.Response:
    return web.Response(status=204)


async def paged(request: web.Request, fetch, *, key, render) -> web.Response:
    """A contract list response: ``fetch(cursor_value, limit)`` returns up to limit + 1 rows,
    ``key(row)`` is a row's cursor tuple, ``render(rows)`` (async) makes the items."""
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"))
    rows = await fetch(cursor[0] if cursor else None, limit)
    page = cursors.page(rows, limit, key=key)
    return web.json_response({"items": await render(page["items"]), "next_cursor": page["next_cursor"]})


def each(view):
    """``render`` for ``paged`` from a per-row view function."""
    async def render(rows: list) -> list:
        return [view(r) for r in rows]
    return render
