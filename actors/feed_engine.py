"""The gateway's side of the feed-shard actors, the one owner of timeline changes (the way Mastodon's
FeedManager is): what publishing, deleting, following and unfollowing do to feeds, and feed reads.

Publishing records a durable fan-out job in Redis, then asks the author's shard to fan out;
the shard clears the job when every follower's shard has the post, and retries it otherwise.
Accounts above the celebrity threshold are not pushed: their posts go once into a Redis sorted
set that readers' shards merge at read time.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from array import array
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from core.clock import now_ms
from core.config import Settings
from feed.read_cache import MarkedCache
from feed.sharding import group_by_shard
from feed.timeline import Entry
from graph.feed_queries import follower_count, pull_page
from stores.feed_marks import FeedMarks, Marks

from .shard_reads import ShardReads
from .shards import ShardLink

log = logging.getLogger(__name__)

# How long a publish waits for its fan-out before answering (the fan-out goes on regardless).
FANOUT_WAIT_S = 3.0
# Feed reads this process answers without a shard call while the feed's marks hold (per reader,
# cursor and size; 16 bytes an entry, so at most ~26 MB of 200-entry ranked windows).
READ_CACHE_ENTRIES = 8192
# The longest a page is reused even with unchanged marks: what a mark lost to a Redis failure
# between a change and its mark can cost (a page that stale), and never more.
READ_CACHE_TTL_S = 60.0


class FeedEngine:
    def __init__(self, settings: Settings, link: ShardLink, redis: Redis, driver: AsyncDriver) -> None:
        self.settings = settings
        self.link = link
        self.redis = redis
        self.driver = driver
        self._background: set[asyncio.Task] = set()
        self.reads = ShardReads()
        self.marks = FeedMarks(redis)
        self._pages: MarkedCache[array] = MarkedCache(READ_CACHE_ENTRIES, READ_CACHE_TTL_S)
        # The pulled accounts each reader's shard last merged: whose marks to read before a read.
        self._pulled: MarkedCache[tuple[int, ...]] = MarkedCache(READ_CACHE_ENTRIES, READ_CACHE_TTL_S)

    @property
    def strategy(self) -> str:
        return self.settings.feed_strategy

    async def is_celebrity(self, author_id: int) -> bool:
        if self.strategy == "push":
            return False
        return await follower_count(self.driver, author_id) > self.settings.feed_celebrity_threshold

    # --- what happened: symmetric pairs ---------------------------------------------------------
    async def published(self, post: dict[str, Any], live: bool = True) -> None:
        """``live``: connected followers get a ``feed.post`` event (a reference, rendered for each
        of them at delivery)."""
        if self.strategy == "pull":
            return
        post_id, author_id = post["id"], post["author"]["id"]
        promote = False
        if await self.is_celebrity(author_id):
            key = redis_keys.celebrity_posts(author_id)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(redis_keys.celebrities(), author_id)
                pipe.zadd(key, {str(post_id): post_id})
                pipe.zremrangebyrank(key, 0, -self.settings.feed_timeline_max - 1)
                newly, _, _ = await pipe.execute()
            await self.marks.pulled_changed(author_id)
            if not newly:
                # The author's own timeline still gets it (their feed includes their posts).
                shard = await self.link.for_user(author_id)
                await shard.push.remote(post_id, author_id, [author_id], live)
                if live:
                    await shard.broadcast.remote(post_id, author_id)
                return
            # Just crossed the threshold: readers' shards still push this author. One last push
            # fan-out tells every follower's shard to pull the author from now on.
            promote = True
        else:
            await self.redis.srem(redis_keys.celebrities(), author_id)
        # The whole command, so that the pending sweep's retry delivers live as the first try would.
        await self.redis.hset(redis_keys.fanout_pending(), str(post_id), json.dumps(
            {"author": author_id, "at": now_ms(), "promote": promote, "live": live}))
        ref = (await self.link.for_user(author_id)).fan_out.remote(post_id, author_id, live, promote)
        task = asyncio.ensure_future(ref)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), FANOUT_WAIT_S)
        except asyncio.TimeoutError:
            pass   # a big fan-out finishes in the background; the pending job guards it

    async def unpublished(self, post_id: int, author_id: int) -> None:
        if await self.redis.zrem(redis_keys.celebrity_posts(author_id), str(post_id)):
            await self.marks.pulled_changed(author_id)
        await self.redis.hdel(redis_keys.fanout_pending(), str(post_id))
        if self.strategy != "pull":
            await (await self.link.for_user(author_id)).retract.remote(post_id, author_id)

    async def followed(self, follower_ids: list[int], followee_id: int) -> None:
        """These accounts now follow ``followee_id``: one call per shard, never per follower (an
        account going public approves every pending request at once)."""
        await self._per_shard("merge_author", follower_ids, followee_id)

    async def unfollowed(self, follower_ids: list[int], followee_id: int) -> None:
        await self._per_shard("unmerge_author", follower_ids, followee_id)

    async def _per_shard(self, method: str, user_ids: list[int], author_id: int) -> None:
        if self.strategy == "pull" or not user_ids:
            return
        handles = await self.link.current()
        await asyncio.gather(*(getattr(handles[shard], method).remote(users, author_id)
                               for shard, users in group_by_shard(user_ids, len(handles)).items()))

    # --- reads ----------------------------------------------------------------------------------
    async def read(self, user_id: int, before: int | None, limit: int) -> list[Entry]:
        return (await self.read_marked(user_id, before, limit))[0]

    async def read_marked(self, user_id: int, before: int | None, limit: int) -> tuple[list[Entry], Marks | None]:
        """The entries, and the feed marks they are current for (None: not marked, with the pull
        strategy), so that callers may keep what they derive from them (usecases/home_feed.py)."""
        if self.strategy == "pull":
            return await pull_page(self.driver, user_id, before, limit), None
        pulled = self._pulled.get(user_id, None, time.monotonic())
        # Read before the shard is asked: the entries are then at least as new as these marks.
        marks = await self.marks.of(user_id, pulled or ())
        return await self.read_under(user_id, before, limit, pulled, marks), marks

    def queue_marks(self, pipe, user_id: int) -> tuple[int, ...] | None:
        """``read_marked``'s marks read, queued in a caller's pipeline (one MGET: its reply, as a
        tuple, is the marks); returns the pulled accounts it covers, for ``read_under``."""
        pulled = self._pulled.get(user_id, None, time.monotonic())
        pipe.mget([redis_keys.feed_mark(user_id), *(redis_keys.pulled_mark(a) for a in pulled or ())])
        return pulled

    def peek(self, user_id: int, before: int | None, limit: int) -> tuple[Marks, list[Entry]] | None:
        """The page this process last read for (user, before, limit) and the marks it is current
        for, unchecked: a caller may read its posts speculatively with the marks, and use them only
        if the marks it read are these (usecases/home_feed.HomeFeed.first_page)."""
        found = self._pages.peek((user_id, before, limit), time.monotonic())
        if found is None:
            return None
        marks, flat = found
        return marks, list(zip(flat[::2], flat[1::2]))

    async def read_under(self, user_id: int, before: int | None, limit: int, pulled: tuple[int, ...] | None,
                         marks: Marks) -> list[Entry]:
        """The entries, given the marks just read for ``pulled`` (``queue_marks``): this process's
        copy if it is current for them, else the shard's (then kept under them)."""
        key = (user_id, before, limit)
        flat = self._pages.get(key, marks, time.monotonic())
        if flat is not None:
            return list(zip(flat[::2], flat[1::2]))
        entries, merged = await self.reads.read(await self.link.for_user(user_id), (user_id, before, limit))
        merged = tuple(merged)
        # Reusable only if the marks read cover every account merged into it; a reader whose
        # pulled set was unknown is cached from their next read on.
        if merged == (pulled or ()):
            self._pages.put(key, marks, array("q", (n for entry in entries for n in entry)), time.monotonic())
        self._pulled.put(user_id, None, merged, time.monotonic())
        return entries
