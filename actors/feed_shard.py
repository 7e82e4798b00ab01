"""The feed-shard actor: one per shard of users, holding their home timelines in memory and doing
the fan-out for the authors it owns.

Its state is a cache of the durable record in Neo4j: a restarted actor (Ray brings it back,
``max_restarts=-1``) starts empty and rebuilds a timeline when its reader next asks. Only
materialised timelines receive pushes: a reader who has not read since the shard started (or
was inactive long enough to be evicted) costs the fan-out nothing and is rebuilt on return.
Methods are idempotent, so Ray may retry them after a crash (``max_task_retries=-1``).
Inside the actor every call to another shard is awaited, never ``ray.get``, and a fan-out makes
one call per shard per page of followers, never one per follower.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from pathlib import Path

import ray

from core import redis_keys
from core.clock import now_ms
from core.config import Settings

from feed.sharding import group_by_shard, shard_of, slots_of_shard
from feed.timeline import Entry, Timeline, merge_newest
from core import live_protocol as protocol

log = logging.getLogger(__name__)

# Fan-outs are retried with these pauses (seconds) before being left to the pending-job sweep.
RETRY_PAUSES = (0.5, 2.0, 5.0)
# Readers idle this long lose their in-memory timeline (rebuilt from Neo4j when they return).
INACTIVE_EVICT_MS = 14 * 24 * 3600 * 1000
NEVER_CELEBRITY = 2**31 - 1


def code_version(root: Path) -> str:
    """A digest of this module, the actor's own code. Detached actors outlive deployments and keep
    the code they were created with; naming them by this digest makes a changed actor (its
    methods, which gateways call, and its state) get new actors, and the next gateway start stops
    the old ones (shards.retire_stale_shards). Their state is a cache, rebuilt on demand.

    Only this module: a change to what the actor merely imports (a graph query, a key builder)
    reaches new actors when Ray restarts old ones, and must not drop every in-memory timeline at
    the next deploy (issue 22). Such a change must keep working with the running actors' code."""
    return hashlib.sha1((root / "actors" / "feed_shard.py").read_bytes()).hexdigest()[:10]


SHARD_PROTOCOL = code_version(Path(__file__).resolve().parents[1])
NAME_PREFIX = "feed-shard-"


def shard_actor_name(shard: int) -> str:
    return f"{NAME_PREFIX}{SHARD_PROTOCOL}-{shard}"


@ray.remote
class FeedShard:
    def __init__(self, shard: int, settings: Settings) -> None:
        self.shard = shard
        # Created with the secrets blanked (shards.ensure_shards): this node supplies them.
        self.settings = settings.with_node_secrets()
        self.started_at = time.time()
        self.timelines: dict[int, Timeline] = {}
        self.celebrities: dict[int, set[int]] = {}      # reader -> followed accounts pulled at read
        self._building: dict[int, list[Entry]] = {}     # pushes that arrive during a rebuild
        self._events = None
        self._presence = None
        self._marks = None
        self._driver = None
        self._redis = None
        self._peers: dict[int, object] = {}
        self._sweeper: asyncio.Task | None = None

    # --- clients, opened lazily inside the actor's own event loop ------------------------------
    async def _graph(self):
        if self._driver is None:
            from graph.driver import open_driver
            self._driver = open_driver(self.settings)
        return self._driver

    def _start_background(self) -> None:
        # An async actor's __init__ has no event loop; the first call of any method starts it.
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_pending())

    async def _kv(self):
        if self._redis is None:
            from core.redis_client import open_redis
            self._redis = open_redis(self.settings.redis_url)
        return self._redis

    async def _event_log(self):
        if self._events is None:
            from stores.event_log import EventLog
            self._events = EventLog(await self._kv(), self.settings.event_log_min_events)
        return self._events

    async def _feed_marks(self):
        if self._marks is None:
            from stores.feed_marks import FeedMarks
            self._marks = FeedMarks(await self._kv())
        return self._marks

    async def _changed(self, user_ids) -> None:
        """Readers whose feed this call changed: gateways stop reusing pages they read before
        (feed/read_cache.py). Set after the change; a failure fails the call, which is retried."""
        await (await self._feed_marks()).changed(user_ids)

    async def _presence_marks(self):
        # Presence is the gateways' (in Redis): a restarted or rescaled shard knows it at once.
        if self._presence is None:
            from live.presence import Presence
            self._presence = Presence(await self._kv(), self.settings.presence_ttl_s,
                                      self.settings.event_live_window_s)
        return self._presence

    async def _emit(self, user_ids: list[int], ref) -> int:
        """Log the event (a reference: core/live_protocol.py) for those of ``user_ids`` connected now or
        recently enough to resume, once per reader however often a fan-out is retried."""
        if not user_ids:
            return 0
        live = await (await self._presence_marks()).recent_among(user_ids, now_ms())
        if live:
            once = redis_keys.live_once(ref.kind, ref.post_id)
            await (await self._event_log()).append_each(sorted(live), ref, once=once)
        return len(live)

    async def _live_readers_following(self, author_id: int) -> list[int]:
        """This shard's readers connected now who follow the author (presence from Redis, follows
        from Neo4j): work in proportion to connected readers, not to followers."""
        from graph.feed_queries import followers_among
        slots = slots_of_shard(self.shard, await self._shard_count())
        readers = await (await self._presence_marks()).online_in_slots(slots.start, slots.stop, now_ms())
        return await followers_among(await self._graph(), author_id, readers)

    async def _shard_count(self) -> int:
        value = await (await self._kv()).get(redis_keys.shard_count())
        return int(value) if value else self.settings.feed_shards

    async def _peer(self, shard: int):
        if shard not in self._peers:
            self._peers[shard] = await asyncio.to_thread(
                ray.get_actor, shard_actor_name(shard), namespace=self.settings.ray_namespace)
        return self._peers[shard]

    # --- introspection --------------------------------------------------------------------------
    async def ping(self) -> dict:
        self._start_background()
        return {"shard": self.shard, "pid": os.getpid(), "node": ray.get_runtime_context().get_node_id(),
                "started_at": self.started_at, "timelines": len(self.timelines)}

    async def stats(self) -> dict:
        return {"shard": self.shard, "timelines": len(self.timelines),
                "entries": sum(len(t) for t in self.timelines.values())}

    # --- reads ----------------------------------------------------------------------------------
    async def read(self, user_id: int, before: int | None, limit: int) -> list[Entry]:
        """Newest-first entries of the reader's feed older than ``before``: pushed timeline merged
        with the recent posts of the followed accounts that are pulled instead of pushed."""
        self._start_background()
        timeline = await self._timeline(user_id)
        timeline.last_read_ms = now_ms()
        pushed = timeline.page(before, limit)
        pulled = await self._celebrity_entries(self.celebrities.get(user_id, set()), before, limit)
        return merge_newest(limit, pushed, pulled)

    async def read_many(self, reads: list[tuple[int, int | None, int]]) -> list[tuple[list[Entry], list[int]]]:
        """``read`` for several readers of this shard in one call (actors/shard_reads.py), each
        with the pulled accounts merged into it (whose marks a gateway checks before reusing it)."""
        pages = await asyncio.gather(*(self.read(user_id, before, limit) for user_id, before, limit in reads))
        return [(page, sorted(self.celebrities.get(user_id, ()))) for page, (user_id, _, _) in zip(pages, reads)]

    async def _timeline(self, user_id: int) -> Timeline:
        timeline = self.timelines.get(user_id)
        if timeline is not None:
            return timeline
        from graph.feed_queries import rebuild_timeline
        self._building.setdefault(user_id, [])
        try:
            entries, celebrities = await rebuild_timeline(
                await self._graph(), user_id, self._threshold(), self.settings.feed_backfill_posts,
                self.settings.feed_timeline_max)
        except BaseException:
            self._building.pop(user_id, None)
            raise
        timeline = self.timelines.get(user_id)   # a concurrent read may have won the race
        if timeline is None:
            timeline = Timeline(self.settings.feed_timeline_max, entries)
            self.timelines[user_id] = timeline
            self.celebrities[user_id] = celebrities
        timeline.merge(self._building.pop(user_id, []))
        return timeline

    def _threshold(self) -> int:
        # Push treats nobody as a celebrity. Neo4j compares degrees as 32-bit ints: stay below.
        return NEVER_CELEBRITY if self.settings.feed_strategy == "push" else self.settings.feed_celebrity_threshold

    async def _celebrity_entries(self, authors: set[int], before: int | None, limit: int) -> list[Entry]:
        if not authors:
            return []
        redis = await self._kv()
        top = f"({before}" if before is not None else "+inf"
        async with redis.pipeline(transaction=False) as pipe:
            for author in authors:
                pipe.zrevrangebyscore(redis_keys.celebrity_posts(author), top, "-inf", start=0, num=limit)
            results = await pipe.execute()
        lists = [[(int(p), author) for p in ids] for author, ids in zip(authors, results)]
        return merge_newest(limit, *lists)

    # --- writes: symmetric pairs ----------------------------------------------------------------
    async def push(self, post_id: int, author_id: int, user_ids: list[int], live: bool = False,
                   promote: bool = False) -> int:
        """Deliver a post to these readers' timelines; ``live``: a ``feed.post`` event goes to
        those of them connected now or recently, materialised or not, once each however often
        the fan-out is retried. ``promote``: the author has just become an account that is
        pulled, not pushed; these readers pull it from now on."""
        delivered = []
        for uid in user_ids:
            timeline = self.timelines.get(uid)
            if timeline is not None:
                if promote and uid != author_id:
                    self.celebrities.setdefault(uid, set()).add(author_id)
                if timeline.push(post_id, author_id):
                    delivered.append(uid)
            elif uid in self._building:
                self._building[uid].append((post_id, author_id))
                delivered.append(uid)
        # Every reader named, read or not: a gateway may hold a page of theirs from before a restart.
        await self._changed(user_ids)
        if live:
            await self._emit(user_ids, protocol.feed_post(post_id, author_id))
        return len(delivered)

    async def unpush(self, post_id: int, author_id: int | None = None) -> int:
        removed = [uid for uid, t in self.timelines.items() if t.unpush(post_id)]
        for pending in self._building.values():
            pending[:] = [e for e in pending if e[0] != post_id]
        await self._changed(removed)
        # Followers of a pulled account never had it pushed; they saw it live all the same.
        followers = await self._live_readers_following(author_id) if author_id else []
        await self._emit(sorted(set(removed) | set(followers)), protocol.feed_delete(post_id))
        return len(removed)

    async def announce(self, post_id: int, author_id: int) -> int:
        """A pulled account's new post, live to this shard's connected readers who follow it:
        work in proportion to connected readers, not to the account's followers."""
        return await self._emit(await self._live_readers_following(author_id),
                                protocol.feed_post(post_id, author_id))

    async def merge_author(self, user_ids: list[int], author_id: int) -> int:
        """Follows: the author's recent posts join these readers' timelines (or, for an account
        that is pulled, the author joins their pulled sets). Readers not materialised are left
        to their rebuild, which includes the author."""
        timelines = [(uid, self.timelines[uid]) for uid in user_ids if uid in self.timelines]
        if not timelines:
            await self._changed(user_ids)
            return 0
        from graph.feed_queries import follower_count, recent_posts
        driver = await self._graph()
        if await follower_count(driver, author_id) > self._threshold():
            for uid, _ in timelines:
                self.celebrities.setdefault(uid, set()).add(author_id)
            await self._changed(user_ids)
            return 0
        posts = await recent_posts(driver, author_id, self.settings.feed_backfill_posts)
        merged = sum(timeline.merge(posts) for _, timeline in timelines)
        await self._changed(user_ids)
        return merged

    async def unmerge_author(self, user_ids: list[int], author_id: int) -> int:
        removed = 0
        for uid in user_ids:
            self.celebrities.get(uid, set()).discard(author_id)
            timeline = self.timelines.get(uid)
            removed += timeline.unmerge(author_id) if timeline is not None else 0
        await self._changed(user_ids)
        return removed

    # --- fan-out, run by the author's shard -----------------------------------------------------
    async def fan_out(self, post_id: int, author_id: int, live: bool = False, promote: bool = False) -> int:
        """Push a new post to every follower's timeline: followers streamed from Neo4j in pages,
        one call per shard per page. Retried on failure; the pending job is cleared when done."""
        for attempt, pause in enumerate((0.0, *RETRY_PAUSES)):
            await asyncio.sleep(pause)
            try:
                delivered = await self._fan_out_once(post_id, author_id, live, promote)
            except Exception:
                log.warning("fan-out of post %s failed (attempt %d)", post_id, attempt + 1, exc_info=True)
                continue
            await (await self._kv()).hdel(redis_keys.fanout_pending(), str(post_id))
            return delivered
        return -1   # left pending: the sweep retries it later

    async def _fan_out_once(self, post_id: int, author_id: int, live: bool, promote: bool) -> int:
        from graph.feed_queries import follower_pages
        shards = await self._shard_count()
        args = (post_id, author_id, live, promote)
        delivered = await self._deliver(args, {shard_of(author_id, shards): [author_id]})
        async for page in follower_pages(await self._graph(), author_id, self.settings.feed_fanout_page):
            delivered += await self._deliver(args, group_by_shard(page, shards))
        return delivered

    async def _deliver(self, args: tuple, groups: dict[int, list[int]]) -> int:
        post_id, author_id, live, promote = args
        calls = []
        for shard, users in groups.items():
            if shard == self.shard:
                calls.append(self.push(post_id, author_id, users, live, promote))
            else:
                calls.append((await self._peer(shard)).push.remote(post_id, author_id, users, live, promote))
        return sum(await asyncio.gather(*calls))

    async def _every_shard(self, method: str, *args) -> list:
        shards = await self._shard_count()
        calls = [getattr(self, method)(*args) if s == self.shard else
                 getattr(await self._peer(s), method).remote(*args) for s in range(shards)]
        return list(await asyncio.gather(*calls))

    async def retract(self, post_id: int, author_id: int | None = None) -> int:
        """A deleted post leaves every timeline: one call per shard."""
        return sum(await self._every_shard("unpush", post_id, author_id))

    async def broadcast(self, post_id: int, author_id: int) -> int:
        """A pulled account's new post goes live on every shard: one call per shard."""
        return sum(await self._every_shard("announce", post_id, author_id))

    async def _sweep_pending(self) -> None:
        """Re-run fan-outs that never completed (e.g. Neo4j was down), for authors this shard owns."""
        interval = self.settings.feed_pending_sweep_s
        while True:
            await asyncio.sleep(interval)
            try:
                redis = await self._kv()
                shards = await self._shard_count()
                for post_id, job in (await redis.hgetall(redis_keys.fanout_pending())).items():
                    data = json.loads(job)
                    stale = now_ms() - data["at"] > interval * 1000
                    if stale and shard_of(data["author"], shards) == self.shard:
                        # The whole command: a retried fan-out delivers live like the first try.
                        await self.fan_out(int(post_id), data["author"], data.get("live", False),
                                           data.get("promote", False))
                await self._evict_inactive()
            except Exception:
                log.warning("pending fan-out sweep failed", exc_info=True)

    async def _evict_inactive(self) -> None:
        cutoff = now_ms() - INACTIVE_EVICT_MS
        idle = [u for u, t in self.timelines.items() if t.last_read_ms < cutoff]
        # A reader who only listens never calls read(): an open socket keeps the timeline.
        listening = await (await self._presence_marks()).online_among(idle, now_ms()) if idle else set()
        for uid in idle:
            if uid not in listening and uid in self.timelines:
                del self.timelines[uid]
                self.celebrities.pop(uid, None)

    # --- re-sharding: export/adopt ---------------------------------------------------------------
    async def export_unowned(self, shards: int) -> dict[int, dict[int, dict]]:
        """After a scale change: hand over (and forget) the readers other shards now own, grouped
        by their new shard, so that the scaler makes one adopt call per shard."""
        moved: dict[int, dict[int, dict]] = {}
        for uid in [u for u in self.timelines if shard_of(u, shards) != self.shard]:
            timeline = self.timelines.pop(uid)
            moved.setdefault(shard_of(uid, shards), {})[uid] = {
                "entries": timeline.entries(), "celebrities": sorted(self.celebrities.pop(uid, set())),
                "last_read_ms": timeline.last_read_ms}
        self._peers.clear()
        return moved

    async def adopt(self, readers: dict[int, dict]) -> int:
        for uid, state in readers.items():
            timeline = self.timelines.get(uid)
            if timeline is None:
                timeline = self.timelines[uid] = Timeline(self.settings.feed_timeline_max)
            timeline.merge(tuple(e) for e in state["entries"])
            timeline.last_read_ms = max(timeline.last_read_ms, state["last_read_ms"])
            self.celebrities.setdefault(uid, set()).update(state["celebrities"])
        self._peers.clear()
        await self._changed(list(readers))
        return len(readers)
