"""Ending a connection's helper tasks (pumps, heartbeats, watchers) when the connection ends."""
from __future__ import annotations

import asyncio
import contextlib


async def cancel_all(tasks: list[asyncio.Task]) -> None:
    """Cancel every task, then wait for each: none outlives the connection it served, and what it
    raised while ending is not the closing connection's concern."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
