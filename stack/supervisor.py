"""`raygram stack supervise`: keep the services `stack up` started running, without a human.

`stack up` (what `make up` runs) leaves this process in the background. Every round it asks each
service's health probe; a service unhealthy for CONFIRM_ROUNDS rounds in a row (killed, crashed,
OOM-killed, or a gateway left unready by a Ray restart) is brought back by the code `stack up`
runs (manager.up), which starts what is dead, replaces what is stuck and waits for health.

A shell's `stack up` / `stack down` holds the stack lock while it works and the supervisor only
tries it, so the two never start the same service twice; `stack down` stops the supervisor
first, so what a human stops stays stopped.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from pathlib import Path
from typing import Iterator, Mapping

from core.config import Settings

from .proc import StackError, read_pid, spawn, terminate

# Between health rounds: a killed service is back within about INTERVAL_S * CONFIRM_ROUNDS plus
# its own start time.
INTERVAL_S = 5.0
# Unhealthy this many rounds in a row before acting: one probe timing out under load, or a
# service a human is restarting by hand, is not a death.
CONFIRM_ROUNDS = 2
NAME = "supervisor"


def pidfile(settings: Settings) -> Path:
    return settings.var_dir / "run" / f"{NAME}.pid"


def _lockfile(settings: Settings) -> Path:
    return settings.var_dir / "run" / "stack.lock"


def running(settings: Settings) -> int | None:
    return read_pid(pidfile(settings))


@contextlib.contextmanager
def stack_lock(settings: Settings, *, wait: bool = True) -> Iterator[bool]:
    """Hold the stack lock for the block; with ``wait=False`` yield False at once if it is held."""
    path = _lockfile(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def due(strikes: Mapping[str, int], healthy: Mapping[str, bool],
        confirm: int = CONFIRM_ROUNDS) -> tuple[dict[str, int], list[str]]:
    """This round's strike counts, and the services to heal now (in ``healthy``'s order)."""
    counted = {name: 0 if ok else strikes.get(name, 0) + 1 for name, ok in healthy.items()}
    return counted, [name for name, n in counted.items() if n >= confirm]


def start(settings: Settings, names: list[str], interval_s: float = INTERVAL_S) -> int:
    """The supervisor's pid (started now unless one runs already)."""
    pid = running(settings)
    if pid is not None:
        return pid
    exe = str(Path(sys.executable).parent / "raygram")
    return spawn([exe, "stack", "supervise", *names, "--interval", str(interval_s)],
                 log=settings.var_dir / "log" / f"{NAME}.log", pidfile=pidfile(settings),
                 cwd=Path.cwd(), secrets=settings.secret_values())


def stop(settings: Settings) -> bool:
    """Stop the supervisor; whether one was running."""
    pid = running(settings)
    if pid is not None:
        terminate(pid, timeout=10)
    pidfile(settings).unlink(missing_ok=True)
    return pid is not None


def run(settings: Settings, names: list[str], interval_s: float = INTERVAL_S) -> None:
    """The supervisor's loop (this process until SIGTERM)."""
    from . import manager

    say = lambda msg: print(f"[supervisor] {time.strftime('%H:%M:%S')} {msg}", flush=True)  # noqa: E731
    say(f"watching {', '.join(names)} every {interval_s:g}s (pid {os.getpid()})")
    strikes: dict[str, int] = {}
    while True:
        time.sleep(interval_s)
        with stack_lock(settings, wait=False) as held:
            if not held:
                continue            # a human's `stack up` / `down` is at work
            try:
                healthy = {row.name: row.healthy for row in manager.status(settings, names)}
                strikes, heal = due(strikes, healthy)
                if heal:
                    say(f"unhealthy for {CONFIRM_ROUNDS} rounds: {', '.join(heal)}; bringing the stack back")
                    manager.up(settings, names)
                    strikes = {}
                    say("healthy again")
            except StackError as exc:
                say(f"could not heal yet: {exc}")
            except Exception as exc:  # the supervisor outlives any one bad round
                say(f"round failed: {type(exc).__name__}: {exc}")
