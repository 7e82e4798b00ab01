"""OAuth hygiene (issue 21): which redirect URIs may be registered, PKCE S256 only, and the
redirect_uri an authorization-code exchange must repeat."""
from __future__ import annotations

import base64
import hashlib

import pytest

from core.errors import ValidationFailed
from core.oauth_rules import (OOB, challenge_problem, exchange_redirect_problem, parse_redirect_uris, pkce_ok,
                              redirect_uri_problem)

ALLOWED = ["https://app.example/cb", "https://app.example:8443/cb?x=1", "http://127.0.0.1:8765/cb",
           "http://[::1]/cb", "http://localhost:3000/callback", "com.example.app:/cb", "myapp://oauth",
           "org.joinmastodon.android.app://callback", OOB]
REFUSED = ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>x</script>",
           "vbscript:msgbox(1)", "file:///etc/passwd", "http://app.example/cb", "http://10.0.0.1/cb",
           "http://127.0.0.1.evil.example/cb", "https://", "https://a/cb#frag", "relative/path", "//host/cb",
           "urn:ietf:wg:oauth:2.0:other", "blob:https://a/x", "1app:/cb", "https://" + "a" * 2100]


@pytest.mark.parametrize("uri", ALLOWED)
def test_allowed_redirect_uris(uri):
    assert redirect_uri_problem(uri) is None
    assert parse_redirect_uris(uri) == [uri]


@pytest.mark.parametrize("uri", REFUSED)
def test_refused_redirect_uris(uri):
    assert redirect_uri_problem(uri) is not None
    with pytest.raises(ValidationFailed) as err:
        parse_redirect_uris(f"https://ok.example/cb\n{uri}")
    assert err.value.code == "invalid_redirect_uri"


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_pkce_is_s256_only():
    verifier = "v" * 64
    assert challenge_problem(_s256(verifier), "S256") is None
    assert challenge_problem(_s256(verifier), None) is None              # S256 is the only method there is
    assert challenge_problem(None, None) is None                         # no PKCE at all: a confidential client
    assert "S256" in challenge_problem(verifier, "plain")
    assert challenge_problem(None, "S256") is not None
    assert challenge_problem("short", "S256") is not None
    assert pkce_ok(verifier, _s256(verifier), "S256") and pkce_ok(verifier, _s256(verifier), None)
    # A code issued with a plain challenge (before the rule) is never redeemed.
    assert not pkce_ok(verifier, verifier, "plain")


def test_the_exchange_repeats_the_redirect_uri():
    assert exchange_redirect_problem("https://a/cb", "https://a/cb") is None
    assert exchange_redirect_problem(None, "https://a/cb") == "redirect_uri is required."
    assert exchange_redirect_problem("", OOB) == "redirect_uri is required."
    assert exchange_redirect_problem("https://a/cb/", "https://a/cb") is not None
