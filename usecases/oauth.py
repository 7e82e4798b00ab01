"""OAuth 2 for the Mastodon-compatible API: registering clients, the authorization-code grant
(with PKCE), the password grant, client credentials, and revocation.

Raygram accounts have a username, not an e-mail address: where Mastodon's password grant sends
the e-mail as ``username``, Raygram takes the username. Logins go through ``Accounts.log_in``, so
the v1 login limits (per account, per address) apply here too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from core import validation
from core.clock import now_ms
from core.errors import InvalidCredentials, ValidationFailed
from core.ids import IdGenerator
from core.oauth_rules import (MAX_NAME_CHARS, MAX_URI_CHARS, OAuthError, challenge_problem, exchange_redirect_problem,
                              grantable, parse_redirect_uris, parse_scopes, pkce_ok, redirect_uri_problem)
from stores.oauth_apps import OAuthApp, OAuthApps
from stores.oauth_tokens import OAuthTokens, PendingCode
from stores.ratelimit import AttemptLimit

from .accounts import Accounts


@dataclass(frozen=True)
class IssueLimits:
    """Token requests counted per client address (every request, before anything is checked:
    guessing client secrets or passwords is bounded too) and per app (once the client proved
    itself: a public client id cannot be used to spend another app's budget)."""
    per_address: AttemptLimit
    per_app: AttemptLimit


class OAuth:
    def __init__(self, apps: OAuthApps, tokens: OAuthTokens, accounts: Accounts, registrations: AttemptLimit,
                 ids: IdGenerator, issue_limits: IssueLimits | None = None) -> None:
        self.apps, self.tokens, self.accounts, self.registrations, self.ids = apps, tokens, accounts, registrations, ids
        self.issue_limits = issue_limits

    async def register_app(self, *, name: Any, website: Any, redirect_uris: Any, scopes: Any,
                           address: str) -> tuple[OAuthApp, str]:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise ValidationFailed(f"client_name is required (at most {MAX_NAME_CHARS} characters).",
                                   code="invalid_client_name")
        if website is not None and (not isinstance(website, str) or len(website) > MAX_URI_CHARS):
            raise ValidationFailed("website must be a URL.", code="invalid_website")
        uris = parse_redirect_uris(redirect_uris if isinstance(redirect_uris, str) else None)
        try:
            granted = parse_scopes(scopes if isinstance(scopes, str) else None)
        except OAuthError as err:
            raise ValidationFailed(err.description, code="invalid_scope") from None
        await self.registrations.reserve(address)
        return await self.apps.register(app_id=self.ids.next_id(), name=name.strip(), website=website or None,
                                        redirect_uris=uris, scopes=granted)

    async def check_request(self, params: Mapping[str, str]) -> tuple[OAuthApp, list[str]]:
        """An authorization request's client and scopes, or OAuthError (shown on the page, never
        redirected: the redirect URI is not trusted until it matches the client's)."""
        app = await self.apps.get(params.get("client_id"))
        if app is None:
            raise OAuthError("invalid_client", "Unknown client.", 401)
        if params.get("response_type", "code") != "code":
            raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
        redirect = params.get("redirect_uri") or (app.redirect_uris[0] if len(app.redirect_uris) == 1 else "")
        if redirect not in app.redirect_uris:
            raise OAuthError("invalid_request", "The redirect URI is not one this client registered.")
        if redirect_uri_problem(redirect) is not None:
            # Registered before the rules were tightened: never followed now.
            raise OAuthError("invalid_request", "The redirect URI is not allowed; register the app again.")
        scopes = parse_scopes(params.get("scope"))
        if not grantable(scopes, app.scopes):
            raise OAuthError("invalid_scope", "The client did not register these scopes.")
        problem = challenge_problem(params.get("code_challenge"), params.get("code_challenge_method"))
        if problem is not None:
            raise OAuthError("invalid_request", problem)
        return app, scopes

    async def approve(self, params: Mapping[str, str], *, username: str, password: str, address: str) -> tuple[str, str]:
        """The caller logged in and consented: (the code, the redirect URI it goes to)."""
        app, scopes = await self.check_request(params)
        user = await self._log_in(username, password, address)
        redirect = params.get("redirect_uri") or app.redirect_uris[0]
        code = await self.tokens.new_code(PendingCode(user["id"], app.client_id, redirect, scopes,
                                                      params.get("code_challenge") or None,
                                                      params.get("code_challenge_method") or None))
        return code, redirect

    async def exchange(self, form: Mapping[str, str], *, address: str) -> dict[str, Any]:
        """POST /oauth/token: a token response, or OAuthError (RateLimited past the limits)."""
        if self.issue_limits is not None:
            await self.issue_limits.per_address.reserve(address)
        app = await self.apps.get(form.get("client_id"))
        grant_type = form.get("grant_type")
        if app is None:
            raise OAuthError("invalid_client", "Unknown client.", 401)
        # A public client using PKCE may leave out its secret; every other exchange needs it.
        pkce_only = grant_type == "authorization_code" and form.get("code_verifier") and not form.get("client_secret")
        if not pkce_only and not app.secret_matches(form.get("client_secret")):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        if self.issue_limits is not None:
            await self.issue_limits.per_app.reserve(app.client_id)
        if grant_type == "authorization_code":
            pending = await self.tokens.take_code(form.get("code") or "")
            if pending is None or pending.client_id != app.client_id:
                raise OAuthError("invalid_grant", "The code is invalid, expired or already used.")
            problem = exchange_redirect_problem(form.get("redirect_uri"), pending.redirect_uri)
            if problem is not None:
                raise OAuthError("invalid_request" if not form.get("redirect_uri") else "invalid_grant", problem)
            if pkce_only and not pending.challenge:
                raise OAuthError("invalid_client", "Client authentication failed.", 401)
            if not pkce_ok(form.get("code_verifier"), pending.challenge, pending.method):
                raise OAuthError("invalid_grant", "The code verifier does not match the challenge.")
            return await self._token(pending.user_id, app, pending.scopes)
        scopes = parse_scopes(form.get("scope"))
        if not grantable(scopes, app.scopes):
            raise OAuthError("invalid_scope", "The client did not register these scopes.")
        if grant_type == "password":
            try:
                user = await self._log_in(form.get("username") or "", form.get("password") or "", address)
            except InvalidCredentials:
                raise OAuthError("invalid_grant", "Wrong username or password.") from None
            return await self._token(user["id"], app, scopes)
        if grant_type == "client_credentials":
            return await self._token(None, app, scopes)
        raise OAuthError("unsupported_grant_type", "Supported: authorization_code, password, client_credentials.")

    async def revoke(self, form: Mapping[str, str]) -> None:
        """RFC 7009: 200 whatever the token was; only its own client may revoke it."""
        app = await self.apps.get(form.get("client_id"))
        if app is None or not app.secret_matches(form.get("client_secret")):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        token = form.get("token") or ""
        grant = await self.tokens.resolve(token)
        if grant is not None and grant.client_id == app.client_id:
            await self.tokens.revoke(token)

    async def _log_in(self, username: str, password: str, address: str) -> dict[str, Any]:
        try:
            name, secret = validation.credentials({"username": username, "password": password}, new_account=False)
        except ValidationFailed:
            raise InvalidCredentials() from None
        return await self.accounts.log_in(username=name, password=secret, address=address)

    async def _token(self, user_id: int | None, app: OAuthApp, scopes: list[str]) -> dict[str, Any]:
        now = now_ms()
        token = await self.tokens.issue(user_id=user_id, client_id=app.client_id, scopes=scopes, now_ms=now)
        body = {"access_token": token, "token_type": "Bearer", "scope": " ".join(scopes), "created_at": now // 1000}
        if user_id is None:
            body["expires_in"] = self.tokens.ttl_for(None)     # app-only tokens are short-lived: say so
        return body

