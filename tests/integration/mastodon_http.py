"""Small HTTP helpers for Mastodon API tests that speak the protocol directly (OAuth flows, raw
server-sent events)."""
from __future__ import annotations

import asyncio
import json

import aiohttp


async def register_app(session: aiohttp.ClientSession, url: str, *, redirect_uris: str = "urn:ietf:wg:oauth:2.0:oob",
                       scopes: str = "read write follow") -> dict:
    resp = await session.post(f"{url}/api/v1/apps", data={"client_name": "raygram-test", "redirect_uris": redirect_uris,
                                                          "scopes": scopes})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def password_token(session: aiohttp.ClientSession, url: str, username: str, password: str,
                         scope: str = "read write follow", app: dict | None = None) -> str:
    app = app or await register_app(session, url)
    resp = await session.post(f"{url}/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": password, "scope": scope})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["access_token"]


class SSE:
    """One server-sent-events response, read event by event."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 30.0) -> dict | None:
        """The next event ({"id", "event", "data"}), skipping heartbeats; None on timeout."""
        event: dict = {}
        try:
            while True:
                raw = await asyncio.wait_for(self.response.content.readline(), timeout)
                if not raw:
                    return None
                line = raw.decode().rstrip("\n")
                if line == "":
                    if event:
                        return event
                    continue
                if line.startswith(":"):
                    continue
                key, _, value = line.partition(": ")
                event[key] = value
        except asyncio.TimeoutError:
            return None

    @staticmethod
    def payload(event: dict):
        return json.loads(event["data"]) if event["event"] != "delete" else event["data"]
