"""Small request helpers shared by the route modules."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

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
