"""The web client (web/, served at ``/``) in a real headless Chromium against the real stack.

Selenium is blocking, so each browser story runs in a thread while the test's event loop serves
the gateway (aiohttp_server: a real port on 127.0.0.1). Every story fails on any SEVERE entry of
the browser console (errors, failed requests, CSP violations)."""
from __future__ import annotations

import asyncio
import re

import pytest

from stack.installers import ensure_chromium

from .browser import Browser


@pytest.fixture(scope="module")
def chromium():
    return ensure_chromium()


@pytest.fixture
async def server(aiohttp_server, app):
    return await aiohttp_server(app, host="127.0.0.1")


def base_url(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_the_page_and_its_files_carry_the_security_headers_and_cache_rules(client):
    page = await client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-cache"
    # No inline script or style anywhere in the page: every script has a src, no style attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "style=" not in html and "<style" not in html
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert any(a.endswith("/js/app.js") for a in assets) and any(a.endswith("/css/app.css") for a in assets)

    script_url = next(a for a in assets if a.endswith("/js/app.js"))
    script = await client.get(script_url, headers={"Accept-Encoding": "gzip"})
    assert script.status == 200 and "immutable" in script.headers["Cache-Control"]
    assert script.headers["Content-Security-Policy"] == csp
    assert script.headers["Content-Encoding"] == "gzip"
    again = await client.get(script_url, headers={"If-None-Match": script.headers["ETag"]})
    assert again.status == 304

    build = assets[0].split("/")[2]
    stale = await client.get(assets[0].replace(build, "0" * len(build)))
    assert stale.status == 404 and (await stale.json())["error"]["code"] == "not_found"
    assert (await client.get(f"/assets/{build}/../gateway/app.py")).status == 404
    assert (await client.get("/api/v1/openapi.json")).status == 200   # web routes are not API operations
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/" not in spec["paths"] and not any(p.startswith("/assets") for p in spec["paths"])


def _first_visit(url: str, unique: str) -> list[str]:
    browser = Browser(url)
    try:
        browser.open("/")
        browser.find("form.auth")                        # logged out: the login screen
        browser.click("a[href='#/signup']")
        browser.type("input[name=username]", f"web_{unique}")
        browser.type("input[name=password]", "correct horse battery")
        browser.click("form.auth button[type=submit]")
        browser.find(".feed[data-ready=true] .empty")    # signed up: an empty home feed
        assert browser.storage()["raygram.token"]
        browser.click("#logout")
        browser.find("form.auth")
        assert "raygram.token" not in browser.storage()
        return browser.severe()
    finally:
        browser.quit()


async def test_a_first_visit_signs_up_sees_an_empty_feed_and_logs_out(server, chromium, unique):
    errors = await asyncio.to_thread(_first_visit, base_url(server), unique)
    assert errors == []
