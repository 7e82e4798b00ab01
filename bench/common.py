"""Shared helpers for the benchmarks: latency statistics, a closed-loop load driver, and a gateway
process of the benchmark's own (so the load generator and the server don't share a GIL)."""
from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp

from core.config import Settings
from stack.proc import http_status, terminate, wait_until


@dataclass
class Result:
    name: str
    latencies_s: list[float]
    wall_s: float
    errors: int = 0

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_s)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(p / 100 * (len(data) - 1))))
        return data[k] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies_s) / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        return (f"{self.name:<34} n={len(self.latencies_s):>6}  {self.throughput:>8.1f} ops/s  "
                f"p50 {self.pct(50):>7.2f} ms  p99 {self.pct(99):>7.2f} ms  errors {self.errors}")


async def closed_loop(name: str, op: Callable[[int], Awaitable[None]], *, concurrency: int, total: int) -> Result:
    """Run ``total`` operations with ``concurrency`` workers, each waiting for its last answer."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            try:
                await op(i)
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, latencies, time.perf_counter() - start, errors)


class GatewayProcess:
    """``raygram serve`` on its own port, for the duration of a benchmark."""

    def __init__(self, settings: Settings, port: int, env: dict[str, str] | None = None) -> None:
        self.settings, self.port = settings, port
        self.env = {**os.environ, "RAYGRAM_PORT": str(port), **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = settings.var_dir / "log" / f"bench-gateway-{port}.log"

    def __enter__(self) -> "GatewayProcess":
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


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def summary(values: list[float]) -> str:
    return f"mean {statistics.mean(values):.1f}" if values else "n/a"


def session(**kwargs) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), **kwargs)
