"""OAuth 2 rules of the Mastodon-compatible API (pure): scopes, redirect URIs, PKCE."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlsplit

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
    """An OAuth error response (RFC 6749 §5.2): ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


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
