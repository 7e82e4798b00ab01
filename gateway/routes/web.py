"""The web client: its page at ``/`` and its files under ``/assets/<build>/`` (see
gateway/web_bundle.py), each with the browser security headers. Not API operations, so they are
left out of the OpenAPI document."""
from __future__ import annotations

from aiohttp import web

from core.errors import NotFound

from ..keys import SETTINGS
from ..web_bundle import (ASSET_CACHE, PAGE_CACHE, Asset, Bundle, content_security_policy, load_bundle, origin_of,
                          security_headers)

BUNDLE = web.AppKey("web_bundle", Bundle)


def _respond(request: web.Request, asset: Asset, cache: str) -> web.Response:
    settings = request.app[SETTINGS]
    headers = security_headers(content_security_policy(origin_of(settings.s3_public_endpoint), request.host))
    headers.update({"Cache-Control": cache, "ETag": asset.etag, "Vary": "Accept-Encoding"})
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers, content_type=asset.content_type.split(";")[0],
                        charset="utf-8" if "charset" in asset.content_type else None)


def _not_api(handler):
    handler.not_api = True
    return handler


@_not_api
async def page(request: web.Request) -> web.Response:
    """The web client's page."""
    return _respond(request, request.app[BUNDLE].page, PAGE_CACHE)


@_not_api
async def asset(request: web.Request) -> web.Response:
    """A file of the web client (only of the current build: an old page reloads)."""
    bundle = request.app[BUNDLE]
    found = bundle.assets.get(request.match_info["path"])
    if request.match_info["build"] != bundle.build or found is None:
        raise NotFound("No such file.", code="not_found")
    return _respond(request, found, ASSET_CACHE)


def setup(app: web.Application) -> None:
    app[BUNDLE] = load_bundle()      # while the app is built, before the event loop serves anyone
    app.router.add_get("/", page)
    app.router.add_get("/assets/{build}/{path:.+}", asset)
