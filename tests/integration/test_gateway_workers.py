"""`raygram serve` with two worker processes on one address: the kernel spreads sockets over both,
each worker delivers live posts to the sockets it holds, and a killed worker is replaced."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import aiohttp

from stack.gateway_process import GatewayProcess, free_port
from tests import images

FOLLOWERS = 8


def _workers_of(pid: int) -> list[int]:
    """The gateway's live worker processes (not multiprocessing's resource tracker, nor zombies)."""
    workers = []
    for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
        try:
            cmdline = open(f"/proc/{child}/cmdline", "rb").read()
            state = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"spawn_main" in cmdline and state != "Z":
            workers.append(int(child))
    return workers


async def _signup(http: aiohttp.ClientSession, url: str, name: str) -> dict:
    async with http.post(f"{url}/api/v1/accounts", json={"username": name, "password": "long-enough"}) as r:
        assert r.status == 201, await r.text()
        return await r.json()


async def test_each_worker_delivers_live_posts_to_its_own_sockets_and_a_dead_one_is_replaced(settings, unique):
    loop = asyncio.get_running_loop()
    env = {"RAYGRAM_SIGNUPS_PER_ADDRESS": "10000", "RAYGRAM_GATEWAY_WORKERS": "2"}
    gw = await loop.run_in_executor(None, GatewayProcess(settings, free_port(), env).__enter__)
    try:
        served_by: list[str] = []                     # the worker that accepted each socket, in order

        async def on_end(_session, _ctx, params: aiohttp.TraceRequestEndParams) -> None:
            if params.url.path == "/api/v1/stream":
                served_by.append(params.response.headers["X-Raygram-Worker"])

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(on_end)
        # No keep-alive: every request and socket on a connection of its own.
        async with aiohttp.ClientSession(trace_configs=[trace], connector=aiohttp.TCPConnector(force_close=True)) as http:
            ada = await _signup(http, gw.url, f"ada_{unique}")
            ada_auth = {"Authorization": f"Bearer {ada['token']}"}
            sockets = []
            for i in range(FOLLOWERS):
                fan = await _signup(http, gw.url, f"fan{i}_{unique}")
                auth = {"Authorization": f"Bearer {fan['token']}"}
                async with http.put(f"{gw.url}/api/v1/users/ada_{unique}/follow", headers=auth) as r:
                    assert r.status == 200
                # The kernel picks a worker per connection; a socket holds its connection.
                sockets.append(await http.ws_connect(f"{gw.url}/api/v1/stream", headers=auth))
                if i >= 3 and len(set(served_by)) == 2:
                    break
            assert set(served_by) == {"1", "2"}, f"all sockets landed on one worker: {served_by}"

            form = aiohttp.FormData()
            form.add_field("media", images.jpeg(16, 16), filename="p.jpg", content_type="image/jpeg")
            async with http.post(f"{gw.url}/api/v1/posts", data=form, headers=ada_auth) as r:
                post = await r.json()
            for ws in sockets:
                while True:
                    event = json.loads((await ws.receive(timeout=5)).data)
                    if event["type"] == "feed.post":
                        assert event["data"]["id"] == post["id"]
                        break
                await ws.close()

        # SIGKILL one worker: the parent starts another, and both serve again.
        victim = _workers_of(gw.proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 90
        seen: set[str] = set()
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline and (seen != {"1", "2"} or victim in _workers_of(gw.proc.pid)):
                try:
                    async with http.get(f"{gw.url}/readyz", headers={"Connection": "close"}) as r:
                        if r.status == 200:
                            seen.add(r.headers["X-Raygram-Worker"])
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        assert seen == {"1", "2"} and victim not in _workers_of(gw.proc.pid)
        assert len(_workers_of(gw.proc.pid)) == 2
    finally:
        await loop.run_in_executor(None, gw.__exit__, None, None, None)
