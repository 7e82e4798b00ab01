"""NodeInfo 2.0 (nodeinfo.diaspora.software): how fediverse apps and libraries tell what kind of
server an address runs before they pick an API dialect. ``/.well-known/nodeinfo`` links to the
document; the document names the software (``raygram``), its version, and usage counts.

Raygram speaks no federation protocol, so ``protocols`` is empty (the 2.0 schema asks for one at
least; clients that detect servers read ``software``). "Active" accounts are those that posted
in the period: Raygram records no logins.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from core.clock import now_ms
from gateway.keys import NEO4J
from graph import mastodon_reads

from .http import base_url

SCHEMA_2_0 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
CONTENT_TYPE = f'application/json; profile="{SCHEMA_2_0}#"'
SOFTWARE_VERSION = "0.1.0"
_DAY_MS = 24 * 3600 * 1000


def links(base: str) -> dict[str, Any]:
    return {"links": [{"rel": SCHEMA_2_0, "href": f"{base}/nodeinfo/2.0"}]}


def document(users: int, active_month: int, active_halfyear: int, posts: int) -> dict[str, Any]:
    return {"version": "2.0",
            "software": {"name": "raygram", "version": SOFTWARE_VERSION},
            "protocols": [],
            "services": {"inbound": [], "outbound": []},
            "openRegistrations": True,
            "usage": {"users": {"total": users, "activeMonth": active_month, "activeHalfyear": active_halfyear},
                      "localPosts": posts},
            "metadata": {"nodeName": "Raygram"}}


async def well_known(request: web.Request) -> web.Response:
    return web.json_response(links(base_url(request)))


async def nodeinfo_2_0(request: web.Request) -> web.Response:
    driver, now = request.app[NEO4J], now_ms()
    stats = await mastodon_reads.stats(driver)
    month = await mastodon_reads.authors_since(driver, now - 30 * _DAY_MS)
    halfyear = await mastodon_reads.authors_since(driver, now - 180 * _DAY_MS)
    body = document(stats.get("users", 0), month, halfyear, stats.get("posts", 0))
    response = web.json_response(body, content_type="application/json")
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/nodeinfo", well_known)
    app.router.add_get("/nodeinfo/2.0", nodeinfo_2_0)
