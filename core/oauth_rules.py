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


def allows(granted: list[str] | tuple[str, ...], needed: str) -> bool:
    """Does a grant cover ``needed`` (a top scope like "read" or a granular one like
    "write:follows")? "follow" also covers follows, as it does in Mastodon."""
    if needed in granted:
        return True
    top = needed.split(":", 1)[0]
    if ":" in needed and top in granted:
        return True
    if needed in ("read:follows", "write:follows") and "follow" in granted:
        return True
    return False


def grantable(requested: list[str], registered: list[str]) -> bool:
    """May a client registered with ``registered`` scopes be granted ``requested``?"""
    return all(allows(registered, s) for s in requested)


def parse_redirect_uris(raw: str | None) -> list[str]:
    """Newline- (or space-) separated; each OOB or an absolute URI without a fragment."""
    uris = [u for u in (raw or OOB).split() if u]
    if not uris or len(uris) > MAX_REDIRECT_URIS:
        raise ValidationFailed(f"Give 1 to {MAX_REDIRECT_URIS} redirect URIs.", code="invalid_redirect_uri")
    for uri in uris:
        if uri == OOB:
            continue
        parts = urlsplit(uri)
        if len(uri) > MAX_URI_CHARS or not parts.scheme or parts.fragment or \
                (parts.scheme in ("http", "https") and not parts.netloc) or parts.scheme.lower() == "javascript":
            raise ValidationFailed("Each redirect URI must be absolute, without a fragment.",
                                   code="invalid_redirect_uri")
    return uris


def pkce_ok(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """No challenge at authorize: nothing to verify. Otherwise S256 (or plain) must match."""
    if not challenge:
        return True
    if verifier is None or not _PKCE_VERIFIER.match(verifier):
        return False
    if (method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    elif method == "plain":
        computed = verifier
    else:
        return False
    return hmac.compare_digest(computed, challenge)


def valid_challenge(challenge: str | None, method: str | None) -> bool:
    if not challenge:
        return method in (None, "")
    return method in (None, "", "S256", "plain") and bool(_PKCE_VERIFIER.match(challenge))
