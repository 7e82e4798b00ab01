"""Live delivery inside one gateway process: one Redis pub/sub connection, subscribed to the
channels (shared buckets of accounts) of the accounts that hold a socket here, fanning each event
out to those sockets.

Each socket has a bounded queue. A reader too slow to drain it is cut off with close code
``protocol.SLOW_CONSUMER`` rather than letting the server buffer without bound; it resumes with
``?last_event_id=`` and loses nothing (events live in the account's log).

A logout publishes a revocation on the same channel as the account's events (see
``protocol.revocation``): pub/sub keeps a channel's order, so the revocation reaches every process before
any event published after the logout, and the socket of that session takes nothing more.

Each socket also holds one of its account's stream slots (``stream_slots``), refreshed with the
presence marks: an account opening more streams than its cap evicts its oldest, wherever it
is, through an eviction on the same channel (or, if that message is missed, the slot found gone
at the next refresh): the socket's ``evicted`` event is set, and its handler closes it.
A subscriber may take only some kinds of events (``user:notification``): the others never
reach its queue, so they cost it neither rendering nor queue room.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import defaultdict

import redis.asyncio as aioredis

from core import redis_keys
from core.clock import now_ms

from .presence import Presence
from core.live_protocol import EVICTED, parse_channel_message
from stores.stream_slots import StreamSlots

log = logging.getLogger(__name__)

_IDLE_CHANNEL = f"{redis_keys.PREFIX}live:_hub"   # keeps the pub/sub connection open when idle
# Presence refreshes between sweeps of marks older than the live window (cheap, idempotent).
_STALE_SWEEP_EVERY = 30


class Subscriber:
    """One socket's view of the hub."""

    def __init__(self, user_id: int, queue_max: int, session: str = "",
                 kinds: frozenset[str] | None = None) -> None:
        self.user_id = user_id
        self.kinds = kinds                # the event kinds it takes (None: all); may change
        self.session = session            # digest of the token the socket authenticated with
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(queue_max)
        self.overflowed = asyncio.Event()
        self.ended = asyncio.Event()      # the session is gone: deliver nothing more
        self.stream_id = secrets.token_hex(12)
        self.evicted = asyncio.Event()    # the account opened too many streams; this one was the oldest

    def end(self) -> None:
        self.ended.set()

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def evict(self) -> None:
        self.evicted.set()

    def offer(self, event_id: int, payload: str) -> None:
        if self.overflowed.is_set() or self.ended.is_set() or self.evicted.is_set():
            return
        try:
            self.queue.put_nowait((event_id, payload))
        except asyncio.QueueFull:
            self.overflowed.set()


class LiveHub:
    """``presence``: where this process marks the accounts whose sockets it holds (on open, every
    ``presence_refresh_s`` while open, and on close), so the shards know who is listening."""

    def __init__(self, redis_url: str, presence: Presence | None = None, presence_refresh_s: float = 20.0,
                 slots: StreamSlots | None = None) -> None:
        self._presence = presence
        self._slots = slots
        self._presence_refresh_s = presence_refresh_s
        self._keeper: asyncio.Task | None = None
        self._redis = aioredis.from_url(redis_url)
        self._pubsub = self._redis.pubsub()
        self._subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self._channels: dict[str, int] = defaultdict(int)   # channel -> accounts here using it
        # Resolved when Redis confirms a subscription: only then can no event slip past.
        self._confirmed: dict[str, asyncio.Future] = {}
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self._pubsub.subscribe(_IDLE_CHANNEL)
        self._task = asyncio.create_task(self._listen())
        if self._presence is not None or self._slots is not None:
            self._keeper = asyncio.create_task(self._keep_presence())

    async def close(self) -> None:
        for task in (self._task, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._pubsub.aclose()
        await self._redis.aclose()

    @property
    def sockets(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def attach(self, sub: Subscriber) -> None:
        """Returns once events for the subscriber's account are certain to reach it (and its
        stream counted against the account's cap, the oldest beyond it told to close)."""
        if self._slots is not None:
            await self._slots.claim(sub.user_id, sub.stream_id, now_ms())
        first = not self._subscribers[sub.user_id]
        self._subscribers[sub.user_id].add(sub)
        channel = redis_keys.live_channel(sub.user_id)
        if first:
            self._channels[channel] += 1
            if self._channels[channel] == 1:
                self._confirmed[channel] = asyncio.get_running_loop().create_future()
                async with self._lock:
                    await self._pubsub.subscribe(channel)
        confirmed = self._confirmed.get(channel)
        if confirmed is not None:
            await asyncio.wait_for(asyncio.shield(confirmed), 5)
        if self._presence is not None:
            # Before the handshake completes: a fan-out after the client sees its socket open
            # finds the account present.
            await self._presence.seen([sub.user_id], now_ms())

    async def detach(self, sub: Subscriber) -> None:
        if self._slots is not None:
            with contextlib.suppress(Exception):      # else it lapses with its TTL
                await self._slots.release(sub.user_id, sub.stream_id)
        subs = self._subscribers.get(sub.user_id)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._subscribers[sub.user_id]
            if self._presence is not None:
                # The last moment it was seen: its feed events stay logged for the live window.
                with contextlib.suppress(Exception):
                    await self._presence.seen([sub.user_id], now_ms())
            channel = redis_keys.live_channel(sub.user_id)
            self._channels[channel] -= 1
            if self._channels[channel] == 0:
                del self._channels[channel]
                self._confirmed.pop(channel, None)
                async with self._lock:
                    await self._pubsub.unsubscribe(channel)

    async def _keep_presence(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(self._presence_refresh_s)
            try:
                if self._slots is not None:
                    await self._refresh_slots()
                if self._presence is None:
                    continue
                await self._presence.seen(list(self._subscribers), now_ms())
                rounds += 1
                if rounds % _STALE_SWEEP_EVERY == 0:
                    await self._presence.forget_stale(now_ms())
            except Exception:
                log.warning("presence refresh failed; retrying", exc_info=True)

    async def _refresh_slots(self) -> None:
        subs = {(sub.user_id, sub.stream_id): sub for group in self._subscribers.values() for sub in group}
        for slot in await self._slots.refresh(list(subs)):
            subs[slot].evict()          # evicted while its eviction message was missed

    async def _listen(self) -> None:
        prefix = redis_keys.live_channel(0)[:-1].encode()
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live hub lost Redis; reconnecting", exc_info=True)
                await asyncio.sleep(1)
                continue
            if message is None or not message["channel"].startswith(prefix):
                continue
            if message["type"] == "subscribe":
                confirmed = self._confirmed.get(message["channel"].decode())
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
                continue
            if message["type"] != "message":
                continue
            try:
                msg = parse_channel_message(message["data"])
            except ValueError:
                # One malformed message must not end delivery for every socket of the process.
                log.warning("ignoring a malformed live message on %r", message["channel"])
                continue
            subs = list(self._subscribers.get(msg.user_id, ()))
            if msg.control == EVICTED:
                for sub in subs:
                    if sub.stream_id == msg.payload:
                        sub.evict()
                continue
            if msg.event_id is None:            # a revocation: end that session's sockets
                for sub in subs:
                    if sub.session == msg.payload:
                        sub.end()
                continue
            for sub in subs:
                if sub.kinds is None or sub.wants(msg.kind):     # the payload parsed only if asked
                    sub.offer(msg.event_id, msg.payload)
