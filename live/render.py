"""Events finalised for one reader at delivery: the logged reference becomes the frame that
reader may see now, with media URLs signed now.

A ``feed.post`` (or ``feed.update``, an edited caption) reaches a reader who still follows the author (or is the author) and only while
the post exists; otherwise nothing is sent (a deleted post's own ``feed.delete`` follows it in
the log). A notification that no longer exists is skipped too. Work is batched: a live post that
reaches many sockets of one gateway process is rendered once per post for all of them (one graph
query, one body, one signature per media key); a replay renders its events per kind at once.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from core import live_protocol as protocol
from core.live_protocol import EventRef

log = logging.getLogger(__name__)

# Events that carry a post rendered for the reader at delivery (a new post, an edited caption).
_POST_KINDS = (protocol.FEED_POST, protocol.FEED_UPDATE)

# How long the first socket to see a live post waits for the others before rendering for all.
COALESCE_S = 0.005


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
