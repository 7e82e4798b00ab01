"""The supervisor `make up` leaves running: services killed with SIGKILL come back by themselves,
and the gateway serves again, without anyone running a command."""
from __future__ import annotations

import asyncio
import os
import signal

from stack import manager, supervisor
from stack.proc import wait_until
from stack.services import by_name


async def test_a_killed_store_and_a_killed_gateway_come_back_without_a_human(settings):
    minio, gateway = by_name(settings, ["minio", "gateway"])
    gateway_was_running = gateway.pid() is not None
    await asyncio.to_thread(manager.up, settings, ["minio", "gateway"])
    victims = {svc.name: svc.pid() for svc in (minio, gateway)}
    log = settings.var_dir / "log" / "supervisor.log"
    logged_before = log.stat().st_size if log.exists() else 0
    supervisor.start(settings, ["minio", "gateway"], interval_s=0.5)
    try:
        for pid in victims.values():
            os.kill(pid, signal.SIGKILL)

        def back() -> bool:
            return all(svc.pid() not in (None, victims[svc.name]) and svc.healthy() for svc in (minio, gateway))

        def said(words: str) -> bool:
            return words in log.read_text()[logged_before:]

        assert await asyncio.to_thread(wait_until, back, timeout=120, interval=0.5)
        assert await asyncio.to_thread(wait_until, lambda: said("healthy again"), timeout=30, interval=0.5)
        assert said("unhealthy for 2 rounds: minio, gateway")
    finally:
        supervisor.stop(settings)
        await asyncio.to_thread(manager.up, settings, ["minio"])     # whatever happened, the next test has S3
        if not gateway_was_running:
            await asyncio.to_thread(manager.down, settings, ["gateway"])
    assert supervisor.running(settings) is None
