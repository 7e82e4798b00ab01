"""This machine's floor for HTTP + JSON: a bare aiohttp server answering recorded bytes.

    python -m bench.floor_server PORT ANSWERS.json [PROCESSES]

``ANSWERS.json`` maps ``"<path with query>\\n<token>"`` to the body Raygram answered; a request
is answered only if its bearer token is one recorded for that path (a dict lookup: the cheapest
possible "token check"). With PROCESSES > 1, each process binds the port with SO_REUSEPORT.
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys

from aiohttp import web


async def _exit_when_gone(pid: int) -> None:
    """A bench killed before its ``finally`` leaves no floor behind holding the port and a core."""
    while True:
        await asyncio.sleep(1.0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)


def _serve(port: int, answers_path: str, bench_pid: int) -> None:
    with open(answers_path) as f:
        answers = {k: v.encode() for k, v in json.load(f).items()}

    async def answer(request: web.Request) -> web.Response:
        if request.path == "/health":
            return web.Response(text="ok")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        body = answers.get(f"{request.path_qs}\n{token}")
        if body is None:
            return web.json_response({"error": {"code": "invalid_token"}}, status=401)
        return web.Response(body=body, content_type="application/json")

    async def watch_bench(_: web.Application):
        watcher = asyncio.create_task(_exit_when_gone(bench_pid))
        yield
        watcher.cancel()

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    app.cleanup_ctx.append(watch_bench)
    web.run_app(app, host="127.0.0.1", port=port, reuse_port=True, print=None, access_log=None)


if __name__ == "__main__":
    port, answers_path = int(sys.argv[1]), sys.argv[2]
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    bench_pid = os.getppid()
    others = [multiprocessing.Process(target=_serve, args=(port, answers_path, bench_pid), daemon=True)
              for _ in range(processes - 1)]
    for p in others:
        p.start()
    _serve(port, answers_path, bench_pid)
