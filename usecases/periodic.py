"""The one loop every periodic job runs in: ``job`` every ``every_s`` seconds until cancelled,
a failure logged and retried next interval. With ``locks`` the job runs in one gateway process
per interval across all of them (stores/sweep_locks.py); without, every process runs it (sweeps
that only take over work whose own lease lapsed, so any number may run at once).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from core.tasks import cancel_all
from stores.sweep_locks import SweepLocks

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, every_s: float, job: Callable[[], Awaitable[Any]], *,
                 locks: SweepLocks | None = None, first_now: bool = False) -> None:
        """``name``: for the log and the lock; ``first_now``: run at once (a start-up sweep),
        else after one interval."""
        self.name, self.every_s, self.job, self.locks, self.first_now = name, every_s, job, locks, first_now
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        if not self.first_now:
            await asyncio.sleep(self.every_s)
        while True:
            try:
                if self.locks is None or await self.locks.take(self.name, self.every_s):
                    await self.job()
            except Exception as exc:
                log.warning("%s sweep skipped: %s: %s", self.name, type(exc).__name__, exc)
            await asyncio.sleep(self.every_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_all([self._task])
            self._task = None
