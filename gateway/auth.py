"""Who is calling: bearer tokens on requests, and the client's address for rate limits."""
from __future__ import annotations

from aiohttp import web

from core.errors import Unauthorized

from .keys import SESSIONS, SETTINGS

_USER_ID = web.RequestKey("user_id", int)
_TOKEN = web.RequestKey("token", str)
# Issued tokens are 43 URL-safe ASCII characters; anything longer or not ASCII is not one, and is
# refused before it is hashed or looked up.
_TOKEN_MAX_CHARS = 128


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    # WebSocket clients cannot always set headers; the contract allows ?token= there.
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return request.query.get("token") or None
    return None


async def current_user_id(request: web.Request) -> int:
    """The authenticated user's id, or 401. Resolved once per request."""
    if _USER_ID in request:
        return request[_USER_ID]
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("A bearer token is required.", code="missing_token")
    plausible = len(token) <= _TOKEN_MAX_CHARS and token.isascii()
    user_id = await request.app[SESSIONS].resolve(token) if plausible else None
    if user_id is None:
        raise Unauthorized("The token is invalid or has expired.", code="invalid_token")
    request[_USER_ID] = user_id
    request[_TOKEN] = token
    return user_id


def current_token(request: web.Request) -> str:
    return request[_TOKEN]


def client_address(request: web.Request) -> str:
    """The caller's address; behind a trusted proxy, the last hop it reports."""
    peer = request.remote or "unknown"
    if peer in request.app[SETTINGS].trusted_proxies:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return peer
