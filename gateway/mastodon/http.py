"""Request helpers of the Mastodon API: the instance's base URL, form-or-JSON parameters (clients
send either), ids in paths, and paged list responses with a Link header."""
from __future__ import annotations

from typing import Any, Mapping

import orjson
from aiohttp import web
from multidict import MultiDict

from core import json_body
from core.errors import BadRequest, NotFound, UnsupportedMediaType
from core.ids import parse_id
from gateway.http import read_body
from gateway.keys import SETTINGS

from . import paging

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "")


def base_url(request: web.Request) -> str:
    """The address the client typed into its app: its links and streaming URL point back here."""
    return f"{request.scheme}://{request.host}"


async def params(request: web.Request) -> MultiDict:
    """Query and body parameters merged (body wins), from a form or a JSON object, bounded. Array
    parameters keep every value (``media_ids[]`` or a JSON list)."""
    out: MultiDict = MultiDict(request.query)
    ctype = request.content_type
    if request.method in ("GET", "HEAD", "DELETE") and not request.can_read_body:
        return out
    if ctype == "application/json":
        body = json_body.parse(await read_body(request, request.app[SETTINGS].json_max_bytes))
        if body is None:
            return out
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object.", code="invalid_json")
        for key, value in body.items():
            out.popall(key, None)
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, bool):
                    v = "true" if v else "false"
                out.add(key, v if isinstance(v, str) else ("" if v is None else str(v)))
        return out
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.content_length is not None and request.content_length > request.app[SETTINGS].json_max_bytes:
            raise BadRequest("The form is too large.", code="payload_too_large")
        form = await request.post()
        for key in set(form.keys()):
            out.popall(key, None)
            for v in form.getall(key):
                if isinstance(v, str):
                    out.add(key, v)
        return out
    if ctype in _FORM_TYPES:
        return out
    raise UnsupportedMediaType("Send a form or a JSON object.", code="unsupported_media_type")


def many(values: Mapping, name: str) -> list[str]:
    """An array parameter: ``name[]`` (form) or ``name`` (JSON list)."""
    got = values.getall(f"{name}[]", []) + values.getall(name, [])
    return [v for v in got if v != ""]


def flag(values: Mapping, name: str) -> bool | None:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    return raw.lower() in ("1", "true", "on", "yes")


def path_id(request: web.Request, name: str = "id", what: str = "Record") -> int:
    value = parse_id(request.match_info[name])
    if value is None:
        raise NotFound(f"{what} not found")
    return value


def page_response(request: web.Request, items: list[dict[str, Any]], cursors: list[str] | None = None) -> web.Response:
    """A newest-first list with Mastodon's Link header, built from the first and last items' ids
    (or their ``cursors``: a follower list pages by follow, not by account)."""
    keys = cursors if cursors is not None else [item["id"] for item in items]
    return encoded_page_response(request, orjson.dumps(items), keys)


def encoded_page_response(request: web.Request, body: bytes, keys: list[str]) -> web.Response:
    """``page_response`` of a list already encoded as JSON, paged by ``keys``."""
    response = web.Response(body=body, content_type="application/json")
    link = paging.link_header(f"{base_url(request)}{request.path}", request.query,
                              keys[0] if keys else None, keys[-1] if keys else None)
    if link:
        response.headers["Link"] = link
    return response
