"""Shared helpers for the benchmarks: latency statistics and a closed-loop load driver. Benchmarks
drive gateway processes of their own (stack.gateway_process), so the load generator and the
server don't share a GIL."""
from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp



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


async def post_photo(http: aiohttp.ClientSession, token: str, caption: str) -> dict:
    """A 320x240 photo post through the v1 API (``http`` bound to the gateway's base URL)."""
    from tests import images
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("media", images.jpeg(320, 240), filename="p.jpg", content_type="image/jpeg")
    form.add_field("caption", caption)
    async with http.post("/api/v1/posts", data=form, headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status in (201, 202), await r.text()
        return await r.json()


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def summary(values: list[float]) -> str:
    return f"mean {statistics.mean(values):.1f}" if values else "n/a"


def session(limit: int = 256, **kwargs) -> aiohttp.ClientSession:
    """A client session; ``limit=0`` for WebSocket benchmarks (each open socket holds a connection)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit), **kwargs)


async def run_auto_commit(driver, query: str, **params) -> None:
    """Queries with CALL { ... } IN TRANSACTIONS need an auto-commit transaction."""
    async with driver.session() as s:
        result = await s.run(query, **params)
        await result.consume()
