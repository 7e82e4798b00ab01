"""A gateway process on a port of its own, for benchmarks and multi-process tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.config import Settings

from .proc import StackError, http_status, port_open, terminate, wait_until


def free_port() -> int:
    """A port nobody listens on right now (Ray's workers take random ports in 10002-19999)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayProcess:
    """``raygram serve`` on its own port, while the `with` block lasts."""

    def __init__(self, settings: Settings, port: int, env: dict[str, str] | None = None) -> None:
        self.settings, self.port = settings, port
        # The stack's gateway holds the Mastodon listener's port; extra gateways serve v1 only.
        # One worker process unless asked: tests and benchmarks start several of these.
        self.env = {**os.environ, "RAYGRAM_PORT": str(port), "RAYGRAM_MASTODON_PORT": "0", "RAYGRAM_GATEWAY_WORKERS": "1",
                    **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = settings.var_dir / "log" / f"bench-gateway-{port}.log"

    def __enter__(self) -> "GatewayProcess":
        if port_open(self.port):
            raise StackError(f"port {self.port} is already taken; cannot start a gateway there")
        log = open(self.log_path, "ab")
        exe = str(Path(sys.executable).parent / "raygram")
        self.proc = subprocess.Popen([exe, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if not wait_until(lambda: http_status(self.url + "/readyz") == 200, timeout=120,
                          alive=lambda: self.proc.poll() is None):
            raise RuntimeError(f"bench gateway on {self.port} did not become ready")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            terminate(self.proc.pid, timeout=20)
