"""The Mastodon application served on a real 127.0.0.1 port beside a test's main app, for
synchronous clients (Mastodon.py uses requests, toot too): they are called through
``asyncio.to_thread`` so the server keeps running on the test's loop."""
from __future__ import annotations

import pytest

from gateway.mastodon.app import build


@pytest.fixture
async def mastodon_url(client, aiohttp_server) -> str:
    # client.app is the test's main app, started: its use cases and connections exist.
    server = await aiohttp_server(build(client.app), host="127.0.0.1")
    return str(server.make_url("")).rstrip("/")
