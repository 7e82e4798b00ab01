"""Process plumbing for the local stack: pid files, detached spawns, waiting, log tails.

Stdlib only, synchronous: the stack manager runs before any event loop exists.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from .private_files import open_private_log


class StackError(RuntimeError):
    """A service could not be installed or started; the message names it."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return False


def read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


REDACTED = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value masked: what a log or an error message may show."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def spawn(cmd: Sequence[str], *, log: Path, pidfile: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None, user: str | None = None, secrets: Iterable[str] = ()) -> int:
    """Start ``cmd`` in its own session (it outlives us), output appended to ``log`` (0600);
    ``secrets`` are masked in the command line written there."""
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    argv = list(cmd)
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--", *argv]
    with open_private_log(log) as out:
        shown = redact(" ".join(argv), secrets)
        out.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {shown}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=cwd, start_new_session=True)
    pidfile.write_text(str(proc.pid))
    return proc.pid


def terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the process group, escalate to SIGKILL after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.2)


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.5,
               alive: Callable[[], bool] | None = None) -> bool:
    """Poll ``check`` until true; give up early if ``alive`` says the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if alive is not None and not alive():
            return bool(check())
        time.sleep(interval)
    return bool(check())


def tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])


def run(cmd: Sequence[str], *, what: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
        log: Path | None = None, timeout: float | None = None, secrets: Iterable[str] = (),
        new_session: bool = False) -> str:
    """Run an install step to completion; on failure raise naming ``what`` with the output's tail.
    ``secrets`` are masked in what goes to ``log`` (0600) and into the error. ``new_session``:
    for commands that leave daemons behind (``ray start``), which must not stay in the caller's
    process group: a Ctrl-C or a ``timeout`` ending the caller would end them too."""
    secrets = tuple(secrets)
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(list(cmd), env=full_env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout,
                          start_new_session=new_session)
    output = proc.stdout.decode("utf-8", "replace")
    shown_cmd, shown_output = redact(" ".join(cmd), secrets), redact(output, secrets)
    if log is not None:
        with open_private_log(log) as fh:
            fh.write(f"\n$ {shown_cmd}\n{shown_output}".encode())
    if proc.returncode != 0:
        last = "\n".join(shown_output.splitlines()[-30:])
        raise StackError(f"{what} failed (exit {proc.returncode}): {shown_cmd}\n{last}")
    return output
