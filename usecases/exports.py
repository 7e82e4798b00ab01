"""Data export: an account's archive (profile, posts with their original media, comments, likes,
followers, following, blocks, mutes) built as a Ray task (usecases/export_task.py), stored in S3
and kept for 7 days.

``start`` records the build and drives it in this process under a lease (stores/exports.py):
the Ray task's ref is awaited, never blocked on. ``status`` says where it stands; a build whose
gateway died (lease lapsed) reads as failed and may be started again. Archives older than 7
days are deleted by the sweep (their state expires on its own).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from core.clock import now_ms
from core.errors import NotFound
from core.tasks import OnePerKey
from core.ids import IdGenerator
from graph import users
from media import storage
from media.export_archive import EXPORT_PREFIX, KEEP_MS, archive_key
from stores.exports import ExportStates
from stores.leases import Lease

from .periodic import Periodic

log = logging.getLogger(__name__)

BUILDING, READY, FAILED = "building", "ready", "failed"
# How long a build's state lasts without finishing (it is failed then).
BUILD_STATE_MS = 24 * 3600 * 1000


class Exports:
    """``submit(user_id, key)``: the Ray task's awaitable ref (usecases/export_task.submit)."""

    def __init__(self, driver: Any, s3: Any, bucket: str, ids: IdGenerator, states: ExportStates,
                 submit: Callable[[int, str], Any], sweep_s: float = 3600.0) -> None:
        self.driver, self.s3, self.bucket, self.ids = driver, s3, bucket, ids
        self.states, self.submit, self.sweep_s = states, submit, sweep_s
        self._driving = OnePerKey()

    async def start(self, user_id: int) -> dict[str, Any]:
        """Start a build (or return the one under way); the state."""
        if await users.get_by_id(self.driver, user_id) is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        current = await self.status(user_id)
        if current["state"] == BUILDING:
            return current
        lease = self.states.lease(user_id)
        if not await lease.take():
            return await self.status(user_id)
        export_id = self.ids.next_id()
        await self.states.put(user_id, {"id": export_id, "state": BUILDING, "requested_at": now_ms(),
                                        "key": archive_key(user_id, export_id)}, BUILD_STATE_MS)
        self._driving.start(user_id, lambda: self._drive(user_id, export_id, lease))
        return await self.status(user_id)

    async def status(self, user_id: int) -> dict[str, Any]:
        state = await self.states.get(user_id)
        if state is None:
            return {"state": "none"}
        if state["state"] == BUILDING and not await self.states.leased(user_id):
            state["state"] = FAILED          # its gateway went away mid-build
        return state

    async def wait(self, user_id: int) -> None:
        """Until this process's build for the account ends (tests)."""
        await self._driving.wait(user_id)

    async def _drive(self, user_id: int, export_id: int, lease: Lease) -> None:
        key = archive_key(user_id, export_id)
        async with lease.kept():
            requested = now_ms()
            try:
                counts = await self.submit(user_id, key)
                ready = now_ms()
                await self.states.put(user_id, {"id": export_id, "state": READY, "requested_at": requested,
                                                "ready_at": ready, "expires_at": ready + KEEP_MS, "key": key,
                                                **counts}, KEEP_MS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("export of account %s failed", user_id)
                await self.states.put(user_id, {"id": export_id, "state": FAILED, "requested_at": requested},
                                      BUILD_STATE_MS)

    # --- the sweep ------------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Delete archives older than they are kept; how many."""
        cutoff = now_ms() - KEEP_MS
        old = []
        async for page in storage.list_objects(self.s3, self.bucket, EXPORT_PREFIX):
            old.extend(obj["Key"] for obj in page if obj["LastModified"].timestamp() * 1000 < cutoff)
        await storage.delete_keys(self.s3, self.bucket, old)
        return len(old)

    async def run_sweeps(self) -> None:
        await Periodic("export", self.sweep_s, self.sweep, first_now=True).run()

    async def close(self) -> None:
        await self._driving.close()
