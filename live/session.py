"""One live stream of one account, whichever API serves it (the v1 WebSocket, Mastodon's SSE and
WebSocket streams): they run this pump and only write its frames and its ``End`` their own way.

Order: subscribe to the account's channel (``async with``, before the client sees its stream
open), replay the log after ``last``, then forward live events, skipping ids already handled:
each event once, in order, whichever process produced it (events are logged before published).

Events are finalised for their reader at delivery (``EventRenderer``, one per process, shared by
its streams): the logged reference becomes the frame that reader may see now, with media URLs
signed now. A ``feed.post`` (or ``feed.update``, an edited caption) reaches a reader who still
follows the author (or is the author) and only while the post exists; otherwise nothing is sent (a
deleted post's own ``feed.delete`` follows it in the log). A notification that no longer exists is
skipped too. Work is batched: a live post that reaches many sockets of one gateway process is
rendered once per post for all of them (one graph query, one body, one signature per media key); a
replay renders its events per kind at once.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Protocol

from core.tasks import cancel_all

from core import live_protocol as protocol
from core.live_protocol import EventRef
from stores.event_log import EventLog
from .hub import LiveHub, Subscriber
from .resume_points import ResumePoints

log = logging.getLogger(__name__)

# Replayed events are rendered this many at a time (one graph query per kind per batch).
REPLAY_BATCH = 200
GAP, EVICTED, SLOW, SESSION_ENDED, UNAVAILABLE, CLOSED = \
    "gap", "evicted", "slow", "session_ended", "unavailable", "closed"

Send = Callable[[str], Awaitable[None]]

# Events that carry a post rendered for the reader at delivery (a new post, an edited caption).
_POST_KINDS = (protocol.FEED_POST, protocol.FEED_UPDATE)

# How long the first socket to see a live post waits for the others before rendering for all.
COALESCE_S = 0.005


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


class EventViews(Protocol):
    """What rendering needs from the stores (the gateway implements it)."""

    async def feed_post_for(self, viewers: list[int], post_id: int, author_id: int) -> dict[int, dict]:
        """The post as each viewer allowed to see it in their feed sees it."""

    async def feed_posts(self, viewer: int, refs: list[tuple[int, int]]) -> dict[int, dict]:
        """(post id, author id) refs -> the posts this viewer may see in their feed."""

    async def notifications(self, viewer: int, ids: list[int]) -> dict[int, dict]:
        """The viewer's notifications that still exist, by id."""


class EventRenderer:
    def __init__(self, views: EventViews, coalesce_s: float = COALESCE_S) -> None:
        self.views = views
        self.coalesce_s = coalesce_s
        self._waiting: dict[int, dict[int, asyncio.Future]] = {}   # post -> viewer -> its view
        self._flushes: set[asyncio.Task] = set()

    async def live(self, viewer: int, event_id: int, payload: str) -> str | None:
        """One live event for one socket; None: nothing for this reader."""
        ref = protocol.decode(payload)
        if ref.data is None and ref.kind in _POST_KINDS:
            view = await self._coalesced_post(viewer, ref.post_id, ref.author_id)
            return protocol.frame(event_id, ref.kind, view) if view is not None else None
        return (await self._render(viewer, [(event_id, ref)]) or [None])[0]

    async def replay(self, viewer: int, events: list[tuple[int, str]]) -> list[str]:
        """Logged events for one reader, in order, rendered in one batch per kind."""
        return await self._render(viewer, [(event_id, protocol.decode(payload)) for event_id, payload in events])

    async def _render(self, viewer: int, refs: list[tuple[int, EventRef]]) -> list[str]:
        posts = [(r.post_id, r.author_id) for _, r in refs if r.data is None and r.kind in _POST_KINDS]
        notes = [r.notification_id for _, r in refs if r.data is None and r.kind == protocol.NOTIFICATION]
        post_views = await self.views.feed_posts(viewer, posts) if posts else {}
        note_views = await self.views.notifications(viewer, notes) if notes else {}
        frames = []
        for event_id, ref in refs:
            data = _data(ref, post_views, note_views)
            if data is not None:
                frames.append(protocol.frame(event_id, ref.kind, data))
        return frames

    async def _coalesced_post(self, viewer: int, post_id: int, author_id: int) -> dict | None:
        waiting = self._waiting.get(post_id)
        if waiting is None:
            waiting = self._waiting[post_id] = {}
            task = asyncio.create_task(self._flush(post_id, author_id))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        future = waiting.get(viewer)
        if future is None:
            future = waiting[viewer] = asyncio.get_running_loop().create_future()
        # Shielded: one socket going away must not cancel the view its neighbours wait for.
        return await asyncio.shield(future)

    async def _flush(self, post_id: int, author_id: int) -> None:
        await asyncio.sleep(self.coalesce_s)
        waiting = self._waiting.pop(post_id, {})
        try:
            views = await self.views.feed_post_for(sorted(waiting), post_id, author_id)
        except Exception as exc:
            for future in waiting.values():
                if not future.done():
                    future.set_exception(exc)
                    future.exception()      # retrieved here: a waiter that left must not warn
            return
        for viewer, future in waiting.items():
            if not future.done():
                future.set_result(views.get(viewer))


def _data(ref: EventRef, posts: dict[int, dict], notes: dict[int, dict]) -> Any:
    if ref.data is not None:
        return ref.data
    if ref.kind in _POST_KINDS:
        return posts.get(ref.post_id)
    if ref.kind == protocol.NOTIFICATION:
        return notes.get(ref.notification_id)
    if ref.kind == protocol.FEED_DELETE:
        return {"post_id": str(ref.post_id)}
    log.warning("unknown event kind %r skipped", ref.kind)
    return None
