"""Who is calling the Mastodon API: an OAuth bearer token (header, or ``access_token`` in the
query or ``Sec-WebSocket-Protocol`` for streaming, as Mastodon accepts), and the scope it needs."""
from __future__ import annotations

from aiohttp import web

from core.errors import Forbidden, Unauthorized
from core.oauth_rules import allows
from stores.oauth_tokens import Grant

from .keys import OAUTH_TOKENS

_GRANT = web.RequestKey("mastodon_grant", Grant)


def token_of(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if request.path.startswith("/api/v1/streaming"):
        # Browsers cannot set headers on EventSource or WebSocket.
        return request.query.get("access_token") or request.headers.get("Sec-WebSocket-Protocol") or None
    return None


async def grant_of(request: web.Request) -> Grant | None:
    if _GRANT in request:
        return request[_GRANT]
    token = token_of(request)
    grant = await request.app[OAUTH_TOKENS].resolve(token) if token else None
    if grant is not None:
        request[_GRANT] = grant
    return grant


def remember(request: web.Request, grant: Grant | None) -> None:
    """A grant resolved elsewhere (the rate limit's round trip), for the handler to reuse."""
    if grant is not None:
        request[_GRANT] = grant


async def app_grant(request: web.Request) -> Grant:
    """Any valid token, an app-only one (client credentials) included."""
    grant = await grant_of(request)
    if grant is None:
        raise Unauthorized("The access token is invalid", code="invalid_token")
    return grant


async def user_id(request: web.Request, scope: str) -> int:
    """The account a user token stands for, if it carries ``scope``; 401 / 403 otherwise."""
    grant = await app_grant(request)
    if grant.user_id is None:
        raise Unauthorized("This method requires an authenticated user", code="user_required")
    if not allows(grant.scopes, scope):
        raise Forbidden("This action is outside the authorized scopes", code="insufficient_scope")
    return grant.user_id
