"""OAuth 2 (apps, authorize with its login page, token, revoke), the server's OAuth metadata and
the instance documents."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from aiohttp import web

from core.errors import InvalidCredentials, RateLimited
from core.oauth_rules import OOB, PKCE_METHODS, TOP_SCOPES, OAuthError, with_basic_client
from gateway.auth import client_address
from gateway.keys import NEO4J, SETTINGS
from graph import mastodon_reads

from . import entities, pages
from .auth import app_grant, user_id
from .http import base_url, params
from .keys import OAUTH, PRESENTER

# Each handler's route is declared on it; setup() registers the table.
routes = web.RouteTableDef()


@routes.post("/api/v1/apps")
async def create_app(request: web.Request) -> web.Response:
    values = await params(request)
    app, secret = await request.app[OAUTH].register_app(
        name=values.get("client_name"), website=values.get("website"), redirect_uris=values.get("redirect_uris"),
        scopes=values.get("scopes"), address=client_address(request))
    return web.json_response({
        "id": app.app_id, "name": app.name, "website": app.website, "scopes": app.scopes,
        "redirect_uri": "\n".join(app.redirect_uris), "redirect_uris": app.redirect_uris,
        "client_id": app.client_id, "client_secret": secret, "client_secret_expires_at": 0, "vapid_key": ""})


@routes.get("/api/v1/apps/verify_credentials")
async def verify_app(request: web.Request) -> web.Response:
    grant = await app_grant(request)
    app = await request.app[OAUTH].apps.get(grant.client_id)
    if app is None:
        raise OAuthError("invalid_token", "The client of this token is gone.", 401)
    return web.json_response({"id": app.app_id, "name": app.name, "website": app.website, "scopes": app.scopes,
                              "redirect_uri": "\n".join(app.redirect_uris), "redirect_uris": app.redirect_uris,
                              "vapid_key": ""})


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=pages.HEADERS)


@routes.get("/oauth/authorize")
async def authorize_page(request: web.Request) -> web.Response:
    try:
        app, scopes = await request.app[OAUTH].check_request(request.query)
    except OAuthError as err:
        return _html(pages.refused(err.description), err.status)
    return _html(pages.consent(request.query, app.name, scopes))


@routes.post("/oauth/authorize")
async def authorize_submit(request: web.Request) -> web.Response:
    values = await params(request)
    carried = {k: values.get(k) for k in pages.CARRIED if values.get(k)}
    try:
        app, scopes = await request.app[OAUTH].check_request(carried)
    except OAuthError as err:
        return _html(pages.refused(err.description), err.status)
    try:
        code, redirect = await request.app[OAUTH].approve(
            carried, username=values.get("username") or "", password=values.get("password") or "",
            address=client_address(request))
    except InvalidCredentials:
        return _html(pages.consent(carried, app.name, scopes, "Wrong username or password."), 401)
    except RateLimited as err:
        return _html(pages.consent(carried, app.name, scopes, err.message), 429)
    if redirect == OOB:
        return _html(pages.out_of_band(code))
    raise web.HTTPFound(_with_query(redirect, {"code": code, **({"state": carried["state"]}
                                                                 if carried.get("state") else {})}))


def _with_query(uri: str, extra: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@routes.post("/oauth/token")
async def token(request: web.Request) -> web.Response:
    values = with_basic_client(await params(request), request.headers.get("Authorization"))
    body = await request.app[OAUTH].exchange(values, address=client_address(request))
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@routes.post("/oauth/revoke")
async def revoke(request: web.Request) -> web.Response:
    await request.app[OAUTH].revoke(with_basic_client(await params(request), request.headers.get("Authorization")))
    return web.json_response({})


@routes.get("/.well-known/oauth-authorization-server")
async def oauth_metadata(request: web.Request) -> web.Response:
    base = base_url(request)
    return web.json_response({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(TOP_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": list(PKCE_METHODS),
        "userinfo_endpoint": f"{base}/oauth/userinfo",
    })


@routes.post("/oauth/userinfo")
@routes.get("/oauth/userinfo")
async def userinfo(request: web.Request) -> web.Response:
    """OpenID Connect's UserInfo, as Mastodon 4.4 serves it (apps that sign people in with their
    Mastodon account ask it who the token's account is)."""
    viewer = await user_id(request, "read")
    me = (await request.app[PRESENTER].accounts([viewer], base_url(request))).get(viewer)
    if me is None:
        raise OAuthError("invalid_token", "The account of this token is gone.", 401)
    return web.json_response({"iss": f"{base_url(request)}/", "sub": me["uri"], "name": me["display_name"],
                              "preferred_username": me["username"], "profile": me["url"], "picture": me["avatar"]})


@routes.get("/api/v1/instance")
async def instance_v1(request: web.Request) -> web.Response:
    stats = await mastodon_reads.stats(request.app[NEO4J])
    return web.json_response(entities.instance_v1(base_url(request), request.app[SETTINGS], stats))


@routes.get("/api/v2/instance")
async def instance_v2(request: web.Request) -> web.Response:
    stats = await mastodon_reads.stats(request.app[NEO4J])
    return web.json_response(entities.instance_v2(base_url(request), request.app[SETTINGS], stats))


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
