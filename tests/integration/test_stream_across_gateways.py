"""Several gateway processes behind one address: an event produced in one reaches a socket held
by another (real `raygram serve` processes)."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from stack.gateway_process import GatewayProcess, free_port
from tests import images


async def test_an_event_made_in_process_a_reaches_a_socket_on_process_b(settings, unique):
    loop = asyncio.get_running_loop()
    env = {"RAYGRAM_SIGNUPS_PER_ADDRESS": "10000"}      # every run signs up from 127.0.0.1
    a = await loop.run_in_executor(None, GatewayProcess(settings, free_port(), env).__enter__)
    try:
        b = await loop.run_in_executor(None, GatewayProcess(settings, free_port(), env).__enter__)
        try:
            async with aiohttp.ClientSession() as http:
                async def signup(name: str) -> dict:
                    async with http.post(f"{a.url}/api/v1/accounts",
                                         json={"username": f"{name}_{unique}", "password": "long-enough"}) as r:
                        assert r.status == 201
                        return await r.json()

                ada, bob = await signup("ada"), await signup("bob")
                ada_auth = {"Authorization": f"Bearer {ada['token']}"}
                bob_auth = {"Authorization": f"Bearer {bob['token']}"}
                async with http.ws_connect(f"{b.url}/api/v1/stream", headers=ada_auth) as ws:
                    form = aiohttp.FormData()
                    form.add_field("media", images.jpeg(16, 16), filename="p.jpg", content_type="image/jpeg")
                    async with http.post(f"{a.url}/api/v1/posts", data=form, headers=ada_auth) as r:
                        post = await r.json()
                    async with http.put(f"{a.url}/api/v1/posts/{post['id']}/like", headers=bob_auth) as r:
                        assert r.status == 200
                    frames = []
                    while True:
                        # Generous: a fresh gateway's first render takes seconds on a loaded 2-core
                        # host; this test is about delivery across processes, not latency.
                        event = json.loads((await ws.receive(timeout=20)).data)
                        frames.append(event)
                        if event["type"] == "notification":
                            break
            assert frames[-1]["data"]["actor"]["username"] == f"bob_{unique}"
        finally:
            await loop.run_in_executor(None, b.__exit__, None, None, None)
    finally:
        await loop.run_in_executor(None, a.__exit__, None, None, None)
