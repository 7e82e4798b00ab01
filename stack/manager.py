"""`raygram stack up|down|status|logs`: the local stack as one idempotent unit.

``up`` installs what is missing (in parallel), starts what is not running, and waits for every
service to pass its health probe. A service that does not come up fails the whole call with its
name and the tail of its log, so the reason is on screen, not in a file somewhere.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from core.config import Settings

from .private_files import PRIVATE_FILE, scrub
from .proc import StackError, port_open, tail, wait_until
from .services import BACKING, Service, by_name, ensure_secrets


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    port: int
    pid: int | None
    healthy: bool

    def line(self) -> str:
        state = "ok" if self.healthy else ("starting/unhealthy" if self.pid else "down")
        return f"{self.name:<14} port {self.port:<6} pid {str(self.pid or '-'):<8} {state}"


def _say(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def _fail(svc: Service, why: str) -> StackError:
    return StackError(f"{svc.name} {why}; last lines of {svc.log_file}:\n{tail(svc.log_file)}")


def protect_logs(settings: Settings) -> None:
    """Every service log 0600 and free of secret values (an older Raygram wrote the Neo4j
    password's command line into neo4j.log)."""
    for log in sorted((settings.var_dir / "log").glob("*.log")):
        log.chmod(PRIVATE_FILE)
        if scrub(log, settings.secret_values()):
            _say(f"removed secret values from {log}")


def up(settings: Settings, names: list[str] | None = None, *, gateway: bool = True) -> list[ServiceStatus]:
    settings = ensure_secrets(settings)
    protect_logs(settings)
    if names is None:
        names = list(BACKING) + (["gateway"] if gateway else [])
    services = by_name(settings, names)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        for svc, fut in [(s, pool.submit(s.install)) for s in services]:
            try:
                fut.result()
            except StackError as exc:
                raise StackError(f"{svc.name}: install failed: {exc}") from exc

    # Start everything that is not already serving, then wait for all: the JVMs warm up together.
    to_wait: list[Service] = []
    for svc in services:
        if svc.name == "gateway":
            continue
        _start_if_needed(svc, to_wait)
    for svc in to_wait:
        _wait_healthy(svc)
    if "gateway" in names:
        gw = next(s for s in services if s.name == "gateway")
        pending: list[Service] = []
        _start_if_needed(gw, pending)
        for svc in pending:
            _wait_healthy(svc)
    _say(f"all up in {time.monotonic() - started:.1f}s")
    return status(settings, names)


# How long a running but unready gateway gets before it is replaced (its backing services are
# healthy by then, so a gateway still unready is stale, e.g. its Ray driver outlived the head).
GATEWAY_GRACE_S = 15.0


def _start_if_needed(svc: Service, to_wait: list[Service]) -> None:
    reason = svc.outdated()
    if reason is not None:
        _say(f"{svc.name}: {reason}; restarting it")
        svc.stop()
    if svc.healthy():
        _say(f"{svc.name}: already running (port {svc.port})")
        return
    if svc.name == "gateway" and svc.pid() is not None:
        if wait_until(svc.healthy, timeout=GATEWAY_GRACE_S, interval=1.0):
            _say(f"{svc.name}: already running (port {svc.port})")
            return
        _say(f"{svc.name}: process {svc.pid()} stays unready with its services up; replacing it")
        svc.stop()
    if svc.pid() is None:
        if port_open(svc.port):
            raise StackError(f"{svc.name}: port {svc.port} is taken by another process; "
                             f"free it or set RAYGRAM_*_PORT (see README)")
        _say(f"{svc.name}: starting on port {svc.port}")
        svc.start()
    elif svc.stuck_after_s is not None and \
            not wait_until(lambda: port_open(svc.port), timeout=svc.stuck_after_s, interval=0.5):
        # Up, yet its port never opens: a process hung on its way out (a head that received
        # SIGTERM and never exited). It would never become healthy: replace it.
        _say(f"{svc.name}: process {svc.pid()} holds no port; replacing it")
        svc.stop()
        svc.start()
    else:
        _say(f"{svc.name}: process {svc.pid()} is up but not healthy yet; waiting")
    to_wait.append(svc)


def _wait_healthy(svc: Service) -> None:
    t0 = time.monotonic()
    # Ray has no pid file of ours: it lives or dies by its probe alone.
    alive = None if svc.name == "ray" else (lambda: svc.pid() is not None)
    if not wait_until(svc.healthy, timeout=svc.start_timeout, interval=0.5, alive=alive):
        why = "exited during start" if alive is not None and not alive() else \
            f"not healthy after {svc.start_timeout:.0f}s"
        raise _fail(svc, why)
    _say(f"{svc.name}: ready in {time.monotonic() - t0:.1f}s")


def down(settings: Settings, names: list[str] | None = None) -> None:
    services = by_name(settings, names)
    for svc in reversed(services):   # the gateway first, the stores last
        if svc.pid() is not None:
            _say(f"{svc.name}: stopping")
            svc.stop()


def status(settings: Settings, names: list[str] | None = None) -> list[ServiceStatus]:
    return [ServiceStatus(s.name, s.port, s.pid(), s.healthy()) for s in by_name(settings, names)]


def logs(settings: Settings, name: str, lines: int = 60) -> str:
    (svc,) = by_name(settings, [name])
    return tail(svc.log_file, lines)
