"""OAuth 2 rules of the Mastodon-compatible API (pure): scopes, redirect URIs, PKCE, client
authentication by HTTP Basic."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Mapping
from urllib.parse import unquote_plus, urlsplit

from .errors import ValidationFailed

OOB = "urn:ietf:wg:oauth:2.0:oob"
TOP_SCOPES = ("read", "write", "follow", "push")
# Granular scopes (read:statuses, write:media...): accepted, and implied by their top scope.
_GRANULAR = re.compile(r"^(read|write|admin:read|admin:write):[a-z_]{1,40}$")
MAX_REDIRECT_URIS = 10
MAX_URI_CHARS = 2000
MAX_NAME_CHARS = 200
_PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class OAuthError(Exception):
    """An OAuth error response (RFC 6749 §5.2): ``error`` code, description, HTTP status, and
    headers (``WWW-Authenticate`` when the client authenticated with HTTP Basic)."""

    def __init__(self, error: str, description: str, status: int = 400,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status
        self.headers = dict(headers or {})


# An Authorization header longer than this is not a client id and secret (both are 43 chars).
MAX_BASIC_HEADER_CHARS = 1024
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Raygram"'}


def _bad_basic(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401, _BASIC_CHALLENGE)


def basic_client(authorization: str | None) -> tuple[str, str] | None:
    """``client_secret_basic`` (RFC 6749 §2.3.1): (client_id, client_secret) from an
    ``Authorization: Basic`` header, each form-urlencoded before base64; None for no such header."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    if len(encoded) > MAX_BASIC_HEADER_CHARS:
        raise _bad_basic("The Basic credentials are too long.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise _bad_basic("The Basic credentials are not valid base64 of UTF-8.") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise _bad_basic("The Basic credentials must be client_id:client_secret.")
    return unquote_plus(client_id), unquote_plus(secret)


def with_basic_client(form: Mapping[str, str], authorization: str | None) -> dict[str, str]:
    """The token or revocation form with the client's Basic credentials in it; a form naming
    other credentials than the header is refused (which of them would authenticate?)."""
    out = {k: form[k] for k in form}
    basic = basic_client(authorization)
    if basic is None:
        return out
    for name, value in zip(("client_id", "client_secret"), basic):
        if out.get(name) not in (None, "", value):
            raise _bad_basic(f"{name} in the form differs from the Basic credentials.")
        out[name] = value
    return out


def parse_scopes(raw: str | None, *, default: str = "read") -> list[str]:
    """Space- (or plus-) separated scopes, deduplicated in order; unknown ones are refused."""
    text = (raw or "").replace("+", " ").strip() or default
    if len(text) > 1000:
        raise OAuthError("invalid_scope", "Too many scopes.")
    out: list[str] = []
    for scope in text.split():
        if scope not in TOP_SCOPES and not _GRANULAR.match(scope):
            raise OAuthError("invalid_scope", f"Unknown scope: {scope[:50]}")
        if scope not in out:
            out.append(scope)
    return out


# What Mastodon's legacy "follow" scope stands for.
_FOLLOW_COVERS = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes",
                            "write:mutes"})


def allows(granted: list[str] | tuple[str, ...], needed: str) -> bool:
    """Does a grant cover ``needed`` (a top scope like "read" or a granular one like
    "write:follows")? "follow" also covers follows, blocks and mutes, as it does in Mastodon."""
    if needed in granted:
        return True
    top = needed.split(":", 1)[0]
    if ":" in needed and top in granted:
        return True
    if needed in _FOLLOW_COVERS and "follow" in granted:
        return True
    return False


def grantable(requested: list[str], registered: list[str]) -> bool:
    """May a client registered with ``registered`` scopes be granted ``requested``?"""
    return all(allows(registered, s) for s in requested)


# Schemes a redirect may never use: they run code or read local files in the browser or app
# that follows them, instead of handing the code to the client.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# RFC 3986 scheme syntax; an app's private-use scheme (RFC 8252 §7.1) is one of these.
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*$")


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` may not be registered as a redirect URI (None: it may). Allowed, as RFC 8252
    has native apps do it: https; http to a loopback address (an app listening on its own
    machine); an app's own scheme (``com.example.app:/cb``); and the out-of-band URN."""
    if uri == OOB:
        return None
    if len(uri) > MAX_URI_CHARS:
        return "is too long"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return "is not a URI"
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.match(scheme):
        return "must be absolute"
    if parts.fragment or "#" in uri:
        return "must not have a fragment"
    if scheme in _FORBIDDEN_SCHEMES or scheme == "urn":
        return f"may not use the {scheme}: scheme"
    if scheme == "https":
        return None if host else "needs a host"
    if scheme == "http":
        return None if host in _LOOPBACK_HOSTS else "may use http only to a loopback address"
    return None                 # an app's own scheme


def parse_redirect_uris(raw: str | None) -> list[str]:
    """Newline- (or space-) separated; each one ``redirect_uri_problem`` finds nothing wrong with."""
    uris = [u for u in (raw or OOB).split() if u]
    if not uris or len(uris) > MAX_REDIRECT_URIS:
        raise ValidationFailed(f"Give 1 to {MAX_REDIRECT_URIS} redirect URIs.", code="invalid_redirect_uri")
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            raise ValidationFailed(f"The redirect URI {problem}: use https, http to a loopback address, an app "
                                   f"scheme or {OOB}.", code="invalid_redirect_uri")
    return uris


# PKCE: S256 only. "plain" sends the verifier itself as the challenge, so whoever sees the
# authorization request can redeem the code; the server metadata announces S256 alone.
PKCE_METHODS = ("S256",)


def pkce_ok(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """No challenge at authorize: nothing to verify. Otherwise the S256 of ``verifier`` must match."""
    if not challenge:
        return True
    if verifier is None or not _PKCE_VERIFIER.match(verifier) or (method or "S256") not in PKCE_METHODS:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)


def challenge_problem(challenge: str | None, method: str | None) -> str | None:
    """Why an authorization request's PKCE parameters are refused (None: they are fine). A
    challenge without a method is taken as S256, the only one there is."""
    if not challenge:
        return None if method in (None, "") else "code_challenge_method without a code_challenge."
    if method not in (None, "", *PKCE_METHODS):
        return "code_challenge_method must be S256."
    if not _PKCE_VERIFIER.match(challenge):
        return "code_challenge must be 43-128 characters."
    return None


def exchange_redirect_problem(given: str | None, at_authorize: str) -> str | None:
    """RFC 6749 §4.1.3: the token request repeats the authorization request's redirect_uri,
    which must be identical (an attacker's code, injected into another client's redirect, is
    then useless)."""
    if not given:
        return "redirect_uri is required."
    if given != at_authorize:
        return "The redirect URI does not match the authorization request."
    return None
