"""The web client's first load in headless Chromium against the local stack: page weight (bytes of
HTML, JS and CSS) and time to first feed render, with a same-run baseline: fetching the same feed
page as JSON directly (what any client pays before it can draw anything).

    flock /tmp/raygram-tests.lock .venv/bin/python -m bench.web_client

Starts a gateway process of its own (stack.gateway_process) and a reader who follows an author of
a few photo posts. Each cold run clears the browser cache first; warm runs reuse it (assets are
immutable; the page is revalidated with its ETag).
"""
from __future__ import annotations

import asyncio
import secrets
import statistics
import time

import aiohttp

from bench.common import fmt_ratio
from core.config import load_settings
from stack.gateway_process import GatewayProcess, free_port
from stack.installers import ensure_chromium
from tests import images
from tests.integration.browser import DESKTOP, Browser

RUNS = 7
POSTS = 5
FEED_LIMIT = 10      # what the client asks for on its first page

RESOURCES_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const out = [{kind: 'html', transfer: nav.transferSize, body: nav.decodedBodySize}];
for (const r of performance.getEntriesByType('resource')) {
  const path = new URL(r.name).pathname;
  const kind = path.endsWith('.js') ? 'js' : path.endsWith('.css') ? 'css' : path.endsWith('.svg') ? 'icon'
    : path.startsWith('/api/') ? 'api' : 'media';
  out.push({kind, transfer: r.transferSize, body: r.decodedBodySize});
}
const mark = performance.getEntriesByName('raygram:feed-rendered')[0];
const feed = performance.getEntriesByType('resource').find((r) => new URL(r.name).pathname === '/api/v1/feed');
return {resources: out, rendered_ms: mark ? mark.startTime : null,
        feed_start_ms: feed ? feed.startTime : null, feed_end_ms: feed ? feed.responseEnd : null};
"""


async def _world(url: str) -> tuple[str, dict]:
    tag = secrets.token_hex(3)
    async with aiohttp.ClientSession(url) as http:
        async def signup(name: str) -> dict:
            async with http.post("/api/v1/accounts", json={"username": f"{name}_{tag}", "password": "bench password"}) as r:
                assert r.status == 201, await r.text()
                return await r.json()
        author, reader = await signup("author"), await signup("reader")
        auth = {"Authorization": f"Bearer {author['token']}"}
        for i in range(POSTS):
            form = aiohttp.FormData(default_to_multipart=True)
            form.add_field("media", images.jpeg(1600, 1200, noise=True), filename="p.jpg", content_type="image/jpeg")
            form.add_field("caption", f"bench photo {i} #bench{tag}")
            async with http.post("/api/v1/posts", data=form, headers=auth) as r:
                assert r.status == 201, await r.text()
        async with http.put(f"/api/v1/users/author_{tag}/follow",
                            headers={"Authorization": f"Bearer {reader['token']}"}) as r:
            assert r.status == 200
    return reader["token"], reader["user"]


async def _feed_json_ms(url: str, token: str) -> list[float]:
    times = []
    async with aiohttp.ClientSession(url, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(RUNS + 1):
            start = time.perf_counter()
            async with http.get("/api/v1/feed", params={"order": "ranked", "limit": str(FEED_LIMIT)}) as r:
                body = await r.json()
                assert r.status == 200 and len(body["items"]) == POSTS
            times.append((time.perf_counter() - start) * 1000)
    return times[1:]      # the first warms the connection


def _loads(url: str, token: str, user: dict) -> tuple[list[dict], list[dict]]:
    import json

    browser = Browser(url, DESKTOP)
    try:
        browser.open("/login")
        browser.find("form.auth")
        browser.js("localStorage.setItem('raygram.token', arguments[0]);"
                   "localStorage.setItem('raygram.user', arguments[1]);", token, json.dumps(user))
        runs: dict[str, list[dict]] = {"cold": [], "warm": []}
        for kind in ("cold", "warm"):
            for _ in range(RUNS):
                if kind == "cold":
                    browser.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                browser.driver.get("about:blank")
                browser.open("/")
                browser.present(".feed[data-ready=true]")
                runs[kind].append(browser.js(RESOURCES_JS))
        assert browser.severe() == [], browser.severe()
        return runs["cold"], runs["warm"]
    finally:
        browser.quit()


def _bytes(run: dict, kinds: set[str], field: str) -> int:
    return sum(r[field] for r in run["resources"] if r["kind"] in kinds)


def main() -> None:
    ensure_chromium()
    settings = load_settings()
    # Its own sign-up limit: the bench's accounts come from 127.0.0.1 like everyone else's.
    with GatewayProcess(settings, free_port(), {"RAYGRAM_SIGNUPS_PER_ADDRESS": "100000"}) as gateway:
        token, user = asyncio.run(_world(gateway.url))
        cold, warm = _loads(gateway.url, token, user)
        baseline = asyncio.run(_feed_json_ms(gateway.url, token))
    first = cold[0]
    shell = {"html", "js", "css", "icon"}
    print(f"web client first load (cold cache), {len([r for r in first['resources'] if r['kind'] in shell])} files:")
    for kind in ("html", "js", "css", "icon"):
        print(f"  {kind:<5} {_bytes(first, {kind}, 'body'):>8,} B   over the wire {_bytes(first, {kind}, 'transfer'):>8,} B")
    print(f"  total {_bytes(first, shell, 'body'):>8,} B   over the wire {_bytes(first, shell, 'transfer'):>8,} B  "
          f"(+ API JSON {_bytes(first, {'api'}, 'transfer'):,} B; photos: "
          f"{sum(r['kind'] == 'media' for r in first['resources'])} requests to the S3 endpoint, sizes hidden cross-origin)")
    print(f"  warm reload: {_bytes(warm[-1], shell, 'transfer'):,} B of HTML/JS/CSS over the wire (assets cached)")
    cold_ms = statistics.median(r["rendered_ms"] for r in cold)
    warm_ms = statistics.median(r["rendered_ms"] for r in warm)
    json_ms = statistics.median(baseline)
    print(f"time to first feed render ({POSTS} posts, median of {RUNS}):")
    print(f"  cold cache  {cold_ms:7.1f} ms")
    print(f"  warm cache  {warm_ms:7.1f} ms")
    print(f"  of which: the feed request starts at {statistics.median(r['feed_start_ms'] for r in cold):.1f} ms "
          f"(page, modules, session check) and is answered at {statistics.median(r['feed_end_ms'] for r in cold):.1f} ms (cold)")
    print(f"  baseline: GET /api/v1/feed?limit={FEED_LIMIT} as JSON  {json_ms:7.1f} ms")
    print(f"  ratio: cold {fmt_ratio(cold_ms, json_ms)}, warm {fmt_ratio(warm_ms, json_ms)} of the baseline")


if __name__ == "__main__":
    main()
