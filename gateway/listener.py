"""A second listener of the gateway process (the Mastodon-compatible API's), bound until it holds
its address, and reported by ``/readyz``.

Binding is retried rather than tried once: when a gateway replaces another on the same machine,
the old one may still hold the port for its shutdown grace; a listener that gave up then would
leave the address dead until a human restarted the gateway.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

log = logging.getLogger(__name__)

# Between attempts to bind a held address: short against a gateway's 15 s shutdown grace.
BIND_RETRY_S = 2.0


class Listener:
    def __init__(self, name: str, app: web.Application, host: str, port: int,
                 retry_s: float = BIND_RETRY_S) -> None:
        self.name, self.host, self.port, self.retry_s = name, host, port, retry_s
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        self._task: asyncio.Task | None = None
        self.bound = False
        self.error: str | None = "not started"

    @property
    def address(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        self._task = asyncio.create_task(self._bind_until_held())

    async def probe(self) -> None:
        """For /readyz: raises while the address is not held by this process."""
        if not self.bound:
            raise ConnectionError(f"{self.address} not listening: {self.error}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._runner.cleanup()

    async def _bind_until_held(self) -> None:
        said = False
        while True:
            # reuse_port: every gateway worker process binds this address (gateway/workers.py).
            site = web.TCPSite(self._runner, self.host, self.port, reuse_port=True)
            try:
                await site.start()
            except OSError as exc:
                await site.stop()           # unregistered, so retries don't pile up in the runner
                self.error = str(exc)
                if not said:
                    log.warning("%s listener cannot bind %s yet (%s); retrying every %gs", self.name,
                                self.address, exc, self.retry_s)
                    said = True
                await asyncio.sleep(self.retry_s)
                continue
            self.error, self.bound = None, True
            log.info("%s listener on %s", self.name, self.address)
            return
