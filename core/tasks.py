"""Ending a connection's helper tasks (pumps, heartbeats, watchers) when the connection ends, and
background work kept to one task per key."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Awaitable, Callable, Hashable


async def cancel_all(tasks: list[asyncio.Task]) -> None:
    """Cancel every task, then wait for each: none outlives the connection it served, and what it
    raised while ending is not the closing connection's concern."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class OnePerKey:
    """Background work of this process, one task at a time per key (an account's erasure or
    export, a video's transcodes): a start while the key's task runs is a no-op."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task] = {}

    def start(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        if key in self._tasks:
            return
        task = asyncio.create_task(work())
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    async def wait(self, key: Hashable) -> None:
        """Until the key's task (if any) ends."""
        task = self._tasks.get(key)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        """Cancel every task and wait for them (shutdown: each gives back what it holds)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
