"""``GET /api/v1/openapi.json``, generated from the routes the app really serves.

A handler's docstring gives the summary; a handler may carry an ``openapi`` dict (set with
``describe``) for its request body and responses. Every operation shares the contract's error
schema, so clients learn one error shape.
"""
from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "snake_case machine-readable code"},
        "message": {"type": "string", "description": "human sentence"},
    }}},
}

PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}


def describe(**operation: Any) -> Callable:
    """Attach OpenAPI operation fields (requestBody, responses, ...) to a handler; ``query``
    names query parameters with their descriptions."""
    def wrap(handler):
        handler.openapi = operation
        return handler
    return wrap


def build_spec(app: web.Application) -> dict:
    paths: dict[str, dict] = {}
    for route in app.router.routes():
        if route.method in ("HEAD", "*") or route.resource is None:
            continue
        path = route.resource.canonical
        doc = (route.handler.__doc__ or "").strip()
        operation = {
            "summary": doc.splitlines()[0] if doc else route.method + " " + path,
            "responses": {"default": {"description": "error",
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        }
        extra = getattr(route.handler, "openapi", {})
        operation.update({k: v for k, v in extra.items() if k not in ("responses", "query")})
        operation["responses"].update(extra.get("responses", {"200": {"description": "OK"}}))
        if path not in PUBLIC_PATHS and not extra.get("public", False):
            operation["security"] = [{"bearer": []}]
        operation.pop("public", None)
        params = [{"name": p.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in path.split("/") if p.startswith("{")]
        params += [{"name": name, "in": "query", "description": text, "schema": {"type": "string"}}
                   for name, text in extra.get("query", {}).items()]
        if params:
            operation["parameters"] = params
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Raygram API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of this server."""
    return web.json_response(build_spec(request.app))
