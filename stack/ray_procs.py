"""This stack's Ray processes, and only them: what a head start clears away after a crash.

`ray stop --force` kills every Ray process of the user on the host: another checkout's cluster,
a colleague's notebook. A process is this stack's when it is one of Ray's own (the GCS, the
raylet, Ray's Python daemons, a ``ray::`` worker) and it names this stack's Ray temp dir on its
command line or holds a file open under it (workers' logs live in the session directory there,
so a worker orphaned by a killed raylet is still recognised). Drivers (the gateway, the tests)
are never matched: they are not Ray's own processes.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Iterable, Sequence

_RAY_BINARIES = ("gcs_server", "raylet", "plasma_store", "raylet_monitor")
_RAY_PACKAGE = "/site-packages/ray/"
_RAY_MODULES = ("ray.util.client.server", "ray._private", "ray.dashboard", "ray.autoscaler")


def is_ray_process(cmdline: Sequence[str]) -> bool:
    """One of Ray's own processes (not a driver that merely imports Ray)."""
    if not cmdline:
        return False
    if os.path.basename(cmdline[0]) in _RAY_BINARIES or cmdline[0].startswith(("ray::", "ray_")):
        return True
    return any(_RAY_PACKAGE in arg for arg in cmdline[1:3]) or \
        any(arg.startswith(_RAY_MODULES) for arg in cmdline[1:4])


def is_stack_ray_process(cmdline: Sequence[str], open_paths: Iterable[str], temp_dir: str) -> bool:
    """Ray's own, and tied to ``temp_dir`` (by its arguments or a file it holds open)."""
    if not is_ray_process(cmdline):
        return False
    root = temp_dir.rstrip("/")
    # The dir itself ("--temp-dir=<root>") or a path under it; never a sibling such as <root>2.
    if any(arg == root or arg.endswith("=" + root) or root + "/" in arg for arg in cmdline):
        return True
    return any(path == root or path.startswith(root + "/") for path in open_paths)


def _cmdline(pid: int) -> list[str]:
    try:
        raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _open_paths(pid: int) -> list[str]:
    fd_dir = Path("/proc") / str(pid) / "fd"
    out = []
    try:
        for fd in fd_dir.iterdir():
            try:
                out.append(os.readlink(fd))
            except OSError:
                continue
    except OSError:
        pass
    return out


def stack_ray_pids(temp_dir: Path) -> list[int]:
    me = os.getpid()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        cmdline = _cmdline(pid)
        # Only Ray's processes have their fds read (cheap for the rest of the host).
        if is_ray_process(cmdline) and is_stack_ray_process(cmdline, _open_paths(pid), str(temp_dir)):
            pids.append(pid)
    return pids


def kill(pids: Iterable[int], timeout: float = 10.0) -> list[int]:
    """SIGKILL (what `ray stop --force` sends) and wait until they are gone; the pids killed."""
    killed = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except (ProcessLookupError, PermissionError):
            continue
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in killed):
        time.sleep(0.1)
    return killed


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
