"""The Mastodon-compatible home timeline against the v1 feed it is built on, same gateway, same
reader, same run: what rendering Mastodon entities (accounts, media attachments, favourited,
HTML content) and the Link header cost on top of the feed read.

    flock /tmp/raygram-tests.lock .venv/bin/python -m bench.mastodon_timeline [--requests 300]

Starts a gateway process of its own with a Mastodon listener on a free port, a reader who follows
AUTHORS authors of POSTS_EACH photo posts each, then reads 20-item pages both ways, sequentially
(latency) and with 8 concurrent readers (throughput).
"""
from __future__ import annotations

import argparse
import asyncio
import secrets

import aiohttp

from bench.common import closed_loop, fmt_ratio, post_photo, session
from core.config import load_settings
from stack.gateway_process import GatewayProcess, free_port

AUTHORS = 10
POSTS_EACH = 3
PAGE = 20


async def _world(v1: str, mastodon: str) -> tuple[str, str]:
    """The reader's v1 token and Mastodon token."""
    tag = secrets.token_hex(3)
    password = "bench password"
    async with aiohttp.ClientSession(v1) as http:
        async def signup(name: str) -> dict:
            async with http.post("/api/v1/accounts", json={"username": f"{name}_{tag}", "password": password}) as r:
                assert r.status == 201, await r.text()
                return await r.json()

        reader = await signup("reader")
        for a in range(AUTHORS):
            author = await signup(f"author{a}")
            for i in range(POSTS_EACH):
                await post_photo(http, author["token"], f"bench {a}.{i} #bench{tag}")
            async with http.put(f"/api/v1/users/author{a}_{tag}/follow",
                                headers={"Authorization": f"Bearer {reader['token']}"}) as r:
                assert r.status in (200, 201, 204), await r.text()
    async with aiohttp.ClientSession(mastodon) as http:
        async with http.post("/api/v1/apps", data={"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                   "scopes": "read"}) as r:
            app = await r.json()
        async with http.post("/oauth/token", data={
                "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
                "username": f"reader_{tag}", "password": password, "scope": "read"}) as r:
            assert r.status == 200, await r.text()
            return reader["token"], (await r.json())["access_token"]


async def main(requests: int) -> None:
    settings = load_settings()
    port, mastodon_port = free_port(), free_port()
    env = {"RAYGRAM_MASTODON_PORT": str(mastodon_port), "RAYGRAM_SIGNUPS_PER_ADDRESS": "100000",
           "RAYGRAM_MASTODON_REQUESTS_PER_WINDOW": "1000000"}
    with GatewayProcess(settings, port, env=env) as gw:
        mastodon = f"http://127.0.0.1:{mastodon_port}"
        v1_token, m_token = await _world(gw.url, mastodon)
        async with session() as http:
            async def read(url: str, token: str) -> None:
                async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
                    if r.status != 200:
                        raise RuntimeError(f"{url}: {r.status}")
                    await r.read()

            v1_url, m_url = f"{gw.url}/api/v1/feed?limit={PAGE}", f"{mastodon}/api/v1/timelines/home?limit={PAGE}"
            async with http.get(m_url, headers={"Authorization": f"Bearer {m_token}"}) as r:
                items = len(await r.json())
            print(f"reader follows {AUTHORS} authors x {POSTS_EACH} posts; a page holds {items} statuses")
            for _ in range(20):                                          # warm both paths
                await read(v1_url, v1_token)
                await read(m_url, m_token)
            results = {}
            for concurrency in (1, 8):
                v1 = await closed_loop(f"v1 /api/v1/feed c={concurrency}", lambda i: read(v1_url, v1_token),
                                       concurrency=concurrency, total=requests)
                m = await closed_loop(f"mastodon timelines/home c={concurrency}", lambda i: read(m_url, m_token),
                                      concurrency=concurrency, total=requests)
                results[concurrency] = (v1, m)
                print(v1.line())
                print(m.line())
            for concurrency, (v1, m) in results.items():
                print(f"c={concurrency}: mastodon / v1 p50 {fmt_ratio(m.pct(50), v1.pct(50))}, "
                      f"p99 {fmt_ratio(m.pct(99), v1.pct(99))}, throughput {fmt_ratio(m.throughput, v1.throughput)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    asyncio.run(main(parser.parse_args().requests))
