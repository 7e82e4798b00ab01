"""`raygram serve` with several worker processes on the same addresses (one per core by default).

Each worker is a whole gateway (its own event loop, Ray driver, Redis and Neo4j pools) binding
the main and the Mastodon addresses with SO_REUSEPORT, so the kernel spreads connections across
them. Nothing a worker holds is needed by another: sessions, presence, rate limits and event logs
live in Redis; live events cross processes through the hub's Redis channels (live/hub.py) the same
way they cross hosts; periodic sweeps take Redis leases. So N workers on one host behave as N
gateways behind a load balancer, which is also how to run N hosts (README "Scaling the gateway").

This parent only supervises: it restarts a worker that dies (after a pause, so a worker that
cannot start does not spin), forwards SIGTERM/SIGINT for a graceful stop, and its workers die with
it even if it is SIGKILLed (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait

from core.config import Settings

log = logging.getLogger("raygram")

# A worker that dies is started again after this pause (doubling while it keeps dying young).
RESTART_PAUSE_S = 1.0
RESTART_PAUSE_MAX_S = 30.0
# A worker that lived this long is healthy again: its next death restarts it after the first pause.
HEALTHY_AFTER_S = 60.0
# The workers' graceful stop (run_app's shutdown_timeout is 15 s) before they are killed.
STOP_GRACE_S = 25.0
_PR_SET_PDEATHSIG = 1


def worker_count(settings: Settings) -> int:
    return settings.gateway_workers or os.cpu_count() or 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):      # not Linux: a SIGKILLed parent leaves workers to `stack down`
        pass


def _worker_main(settings: Settings, index: int, parent: int) -> None:
    _die_with_parent()
    if os.getppid() != parent:             # the parent died before the line above took effect
        return
    from .server import serve_worker
    serve_worker(settings, index)


def supervise(settings: Settings, count: int) -> None:
    ctx = multiprocessing.get_context("spawn")    # a fresh interpreter: no inherited loops or clients
    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start(index: int):
        proc = ctx.Process(target=_worker_main, args=(settings, index, os.getpid()), name=f"gateway-{index}")
        proc.start()
        return proc, time.monotonic()

    workers = {i: start(i) for i in range(1, count + 1)}
    pauses = {i: RESTART_PAUSE_S for i in workers}
    log.info("gateway: %d worker processes on %s", count, settings.public_url)
    while not stopping:
        wait([p.sentinel for p, _ in workers.values()], timeout=1.0)
        for index, (proc, started) in list(workers.items()):
            if proc.is_alive() or stopping:
                continue
            lived = time.monotonic() - started
            pauses[index] = RESTART_PAUSE_S if lived > HEALTHY_AFTER_S else min(pauses[index] * 2, RESTART_PAUSE_MAX_S)
            log.warning("gateway worker %d exited (code %s) after %.0f s; restarting in %.0f s",
                        index, proc.exitcode, lived, pauses[index])
            deadline = time.monotonic() + pauses[index]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
            if not stopping:
                workers[index] = start(index)
    for proc, _ in workers.values():
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc, _ in workers.values():
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join()
