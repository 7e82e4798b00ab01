"""``GET /api/v1/openapi.json``, generated from the routes the app really serves.

A handler's docstring gives the summary; a handler carries its request body, query parameters and
responses (set with ``describe``), built from the schemas in gateway/schemas.py. The document is a
contract the suite holds the server to (tests/integration/test_api_fuzz.py), so it lists exactly
the statuses an operation answers: no catch-all ``default`` response.
"""
from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

from . import schemas


def describe(*, public: bool = False, query: list[dict] | None = None, **operation: Any) -> Callable:
    """Attach OpenAPI operation fields to a handler: ``requestBody``, ``responses`` (see
    ``schemas.responses``), ``query`` (parameter objects), ``public`` (no bearer token)."""
    def wrap(handler):
        handler.openapi = {"public": public, "query": list(query or []), **operation}
        return handler
    return wrap


class Routes(web.RouteTableDef):
    """A route module's table: each handler declares its route and its OpenAPI fields in one
    decorator, ``@routes.op("PUT", "/api/v1/...", responses=...)``; ``setup`` adds the table."""

    def op(self, method: str, path: str, **fields: Any) -> Callable:
        def wrap(handler):
            return self.route(method, path)(describe(**fields)(handler))
        return wrap


def _path_parameters(path: str) -> list[dict]:
    params = []
    for segment in path.split("/"):
        if segment.startswith("{"):
            name = segment.strip("{}")
            if name not in schemas.PATH_PARAMETERS:
                raise ValueError(f"path parameter {name!r} of {path} has no schema in gateway/schemas.py")
            params.append({"name": name, "in": "path", "required": True, "schema": schemas.PATH_PARAMETERS[name]})
    return params


def _operation(method: str, path: str, handler) -> dict:
    doc = (handler.__doc__ or "").strip()
    extra = getattr(handler, "openapi", None) or schemas.OPERATIONAL.get((method, path), {})
    operation: dict[str, Any] = {
        "operationId": handler.__name__,
        "summary": doc.splitlines()[0] if doc else f"{method} {path}",
    }
    if doc:
        operation["description"] = " ".join(doc.split())
    operation.update({k: v for k, v in extra.items() if k not in ("public", "query", "responses")})
    responses = dict(extra.get("responses") or {})
    if not extra.get("public", False):
        operation["security"] = [{"bearer": []}]
        responses.setdefault("401", schemas.error(401))
    if (method, path) not in schemas.NO_BACKING_SERVICE:
        responses.setdefault("503", schemas.error(503))
    operation["responses"] = dict(sorted(responses.items()))
    params = _path_parameters(path) + list(extra.get("query", []))
    if params:
        operation["parameters"] = params
    return operation


def build_spec(app: web.Application) -> dict:
    paths: dict[str, dict] = {}
    for route in app.router.routes():
        # aiohttp answers HEAD for every GET by itself; "*" routes are not part of the API.
        if route.method in ("HEAD", "*") or route.resource is None:
            continue
        if getattr(route.handler, "not_api", False):     # the web client's page and files
            continue
        path = route.resource.canonical
        paths.setdefault(path, {})[route.method.lower()] = _operation(route.method, path, route.handler)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Raygram API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of this server."""
    return web.json_response(build_spec(request.app))
