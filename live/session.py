"""One live stream of one account, whichever API serves it (the v1 WebSocket, Mastodon's SSE and
WebSocket streams): they run this pump and only write its frames and its ``End`` their own way.

Order: subscribe to the account's channel (``async with``, before the client sees its stream
open), replay the log after ``last``, then forward live events, skipping ids already handled:
each event once, in order, whichever process produced it (events are logged before published).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable

from core.tasks import cancel_all

from core import live_protocol as protocol
from stores.event_log import EventLog
from .hub import LiveHub, Subscriber
from .render import EventRenderer
from .resume_points import ResumePoints

log = logging.getLogger(__name__)

# Replayed events are rendered this many at a time (one graph query per kind per batch).
REPLAY_BATCH = 200
GAP, EVICTED, SLOW, SESSION_ENDED, UNAVAILABLE, CLOSED = \
    "gap", "evicted", "slow", "session_ended", "unavailable", "closed"

Send = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class End:
    """Why a stream ended: a gap and no resync frame (``GAP``, with the ids), too many streams on
    the account (``EVICTED``), a reader too slow (``SLOW``), the session or token revoked or expired
    (``SESSION_ENDED``), a store needed to render away (``UNAVAILABLE``), the client gone (``CLOSED``)."""
    why: str
    missed_after: int = 0
    resumes_at: int = 0


def resume_gap(last: int, first_logged: int | None, lapsed: bool) -> tuple[int, int] | None:
    """(missed after, resumes at) when a resume after ``last`` cannot be complete: the log's first
    event after it is not ``last + 1`` (trimmed), or the reader was away longer than the live
    window (``lapsed``: no feed events were logged for them meanwhile)."""
    if lapsed or (first_logged is not None and first_logged > last + 1):
        return last, first_logged if first_logged is not None else last + 1
    return None


class LiveSession:
    """``session_left``: seconds until the stream's session or token expires, None once it is
    gone. ``resume_points``: when given, a resume after the live window is a gap too."""

    def __init__(self, hub: LiveHub, events: EventLog, renderer: EventRenderer, sub: Subscriber, *,
                 last: int | None, session_left: Callable[[], Awaitable[float | None]], heartbeat_s: float,
                 resume_points: ResumePoints | None = None) -> None:
        self.hub, self.events, self.renderer, self.sub = hub, events, renderer, sub
        self.last, self.session_left, self.heartbeat_s = last, session_left, heartbeat_s
        self.resume_points = resume_points
        self.lapsed = False

    async def __aenter__(self) -> LiveSession:
        if self.last is not None and self.resume_points is not None:   # before attaching marks it seen
            self.lapsed = await self.resume_points.lapsed(self.sub.user_id)
        await self.hub.attach(self.sub)
        return self

    async def __aexit__(self, exc_type, *_) -> bool:
        await asyncio.shield(self.hub.detach(self.sub))
        return exc_type is not None and issubclass(exc_type, ConnectionResetError)   # the client went away

    async def run(self, send: Send, *, resync: Callable[[int, int], Awaitable[None]] | None = None,
                  gate: asyncio.Event | None = None, alongside: Iterable[Awaitable[End | None]] = ()) -> End:
        """Rendered frames (core/live_protocol.py's) through ``send`` until the end. ``resync``: tell the
        client of a gap and carry on (else a gap ends the stream); ``gate``: pump once it is set;
        ``alongside``: the API's own loops (reading the client, heartbeats), ending it too."""
        tasks = [asyncio.create_task(self._pump(send, resync, gate)), asyncio.create_task(self._watch()),
                 *(asyncio.ensure_future(c) for c in alongside)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in (t for t in tasks if t in done and not t.cancelled()):
                if task.exception() is None:
                    if task.result() is not None:
                        return task.result()
                elif not isinstance(task.exception(), ConnectionResetError):
                    log.warning("live stream ended: %r", task.exception())
            return End(CLOSED)
        finally:
            await cancel_all(tasks)

    async def _pump(self, send: Send, resync, gate: asyncio.Event | None) -> End:
        if gate is not None:
            await gate.wait()
        sub, sent = self.sub, -1       # the last event id handled (sent, or nothing for this reader)

        async def deliver(frames: list[str], up_to: int) -> None:
            nonlocal sent
            for frame in frames:
                if sub.ended.is_set():
                    return
                await send(frame)
            sent = up_to

        try:
            if self.last is not None:
                missed = await self.events.since(sub.user_id, self.last)
                gap = resume_gap(self.last, missed[0][0] if missed else None, self.lapsed)
                if gap is not None:
                    if resync is None:
                        return End(GAP, *gap)
                    await resync(*gap)
                for start in range(0, len(missed), REPLAY_BATCH):
                    batch = missed[start:start + REPLAY_BATCH]
                    wanted = [(i, p) for i, p in batch if sub.wants(protocol.kind_of(p))]
                    await deliver(await self.renderer.replay(sub.user_id, wanted) if wanted else [], batch[-1][0])
            while True:
                event_id, payload = await sub.queue.get()
                if event_id > sent:
                    frame = await self.renderer.live(sub.user_id, event_id, payload)
                    await deliver([frame] if frame is not None else [], event_id)
        except ConnectionResetError:
            raise
        except Exception:
            # A store needed to render is away: the client resumes later and loses nothing.
            log.warning("cannot render live events; the client will resume", exc_info=True)
            return End(UNAVAILABLE)

    async def _watch(self) -> End:
        """Until eviction, overflow or the session's end: a revocation arrives at once through the
        hub, an expiry is timed from the TTL; the periodic look (the first at once) covers the rest."""
        sub = self.sub
        flags = (sub.ended, sub.overflowed, sub.evicted)
        while not any(flag.is_set() for flag in flags):
            try:
                # Shielded: redis-py may finish a command its task was cancelled in, losing the cancel.
                left = await asyncio.shield(self.session_left())
            except Exception:
                log.warning("cannot check a stream's session; trying again", exc_info=True)
                left = self.heartbeat_s
            else:
                if left is None:
                    break
            waits = [asyncio.ensure_future(flag.wait()) for flag in flags]
            try:
                await asyncio.wait(waits, timeout=max(0.05, min(self.heartbeat_s, left)),
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        if sub.evicted.is_set():
            return End(EVICTED)
        if sub.overflowed.is_set():
            return End(SLOW)
        sub.end()
        return End(SESSION_ENDED)
