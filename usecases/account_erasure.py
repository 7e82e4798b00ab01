"""Deleting an account: gone from every read at once, then erased by a durable, resumable job.

``delete`` (the request): the password checked, then in one Neo4j transaction the ``:User``
becomes an ``:ErasingUser`` with a tombstone on its username (graph/erasure.py): every read stops
finding the account, its posts, comments and likes lists' entries at that commit. Then every
session and OAuth token ends (their open sockets close), the cached bodies of its posts are
forgotten and the search outbox told (its profile and posts leave the indexes), and the erasure
starts in this process.

The erasure (``_erase``) is driven under a Redis lease (``rg:erase-lease:<id>``, refreshed while
held); the ``:ErasingUser`` node is the durable record. A gateway that dies mid-erasure leaves
the node, its lease lapses, and any gateway's sweep (at start-up, then every
``erase_sweep_s``) takes it over; each step deletes a batch and is idempotent, so a resumed
erasure picks up where the last one stopped. Order: timelines (the unfollow path, one call per
shard, while the follows still say who to purge), posts (objects in S3 first, then nodes: no
node ever points at a deleted object, and nothing is left unreferenced), staged uploads,
avatars, likes, comments, notifications, the remaining relationships, the account's Redis state
(event log, sessions, liked set...), and the node itself last.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from core.clock import now_ms
from core.errors import Forbidden, NotFound
from core.passwords import verify_password
from core.tasks import OnePerKey
from actors.feed_engine import FeedEngine
from graph import erasure
from graph.feed_queries import follower_pages
from media import storage
from media.export_archive import account_prefix
from search.port import OutboxSearchEffects
from stores.leases import Lease
from stores.post_bodies import PostBodies
from stores.profile_marks import ProfileMarks
from stores.ratelimit import AttemptLimit
from stores.user_cards import UserCards

from .periodic import Periodic

log = logging.getLogger(__name__)

# How long a deleted account's username cannot be taken again.
USERNAME_REST_MS = 30 * 24 * 3600 * 1000
# Password confirmations of a deletion per account and window (then 429).
CONFIRMATIONS_PER_WINDOW = 10
CONFIRMATION_WINDOW_S = 3600


def account_redis_keys(user_id: int) -> list[str]:
    """The Redis state that is the account's own (deleted once it is erased)."""
    return [redis_keys.event_seq(user_id), redis_keys.event_log(user_id), redis_keys.user_sessions(user_id),
            redis_keys.liked_posts(user_id), redis_keys.hidden_authors(user_id), redis_keys.affinities(user_id),
            redis_keys.export_state(user_id), redis_keys.export_lease(user_id), redis_keys.mastodon_markers(user_id),
            redis_keys.stream_slots(user_id), redis_keys.video_slots(user_id),
            redis_keys.deletion_attempts(str(user_id)), redis_keys.saved_posts(user_id),
            redis_keys.saved_posts_gen(user_id), redis_keys.notifications_mark(user_id),
            redis_keys.relations(user_id), redis_keys.relations_gen(user_id)]


class AccountErasure:
    """``sessions``: ends an account's sessions (stores/sessions.SessionStore.revoke_all);
    ``tokens``: its OAuth tokens (stores/oauth_tokens.OAuthTokens.revoke_account)."""

    def __init__(self, driver: AsyncDriver, redis: Redis, s3: Any, bucket: str, feed: FeedEngine,
                 search: OutboxSearchEffects, bodies: PostBodies, cards: UserCards, sessions: Any, tokens: Any, *,
                 batch: int = 200, lease_s: float = 60.0, sweep_s: float = 15.0,
                 attempts: AttemptLimit | None = None, profile_marks: ProfileMarks) -> None:
        self.driver, self.redis, self.s3, self.bucket = driver, redis, s3, bucket
        self.profile_marks = profile_marks
        # Password confirmations per account and window: a stolen token cannot guess the password here.
        self.attempts = attempts or AttemptLimit(redis, redis_keys.deletion_attempts, CONFIRMATIONS_PER_WINDOW,
                                                 CONFIRMATION_WINDOW_S,
                                                 "Too many attempts to confirm the deletion; try again later.")
        self.feed, self.search, self.bodies, self.cards = feed, search, bodies, cards
        self.sessions, self.tokens = sessions, tokens
        self.batch, self.lease_ms, self.sweep_s = batch, int(lease_s * 1000), sweep_s
        self._driving = OnePerKey()

    # --- the request ----------------------------------------------------------------------------
    async def delete(self, user_id: int, password: str) -> None:
        stored = await erasure.password_hash_of(self.driver, user_id)
        if stored is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        await self.attempts.reserve(str(user_id))
        if not await verify_password(stored, password):
            raise Forbidden("The password is not this account's.", code="wrong_password")
        now = now_ms()
        if not await erasure.begin(self.driver, user_id, now_ms=now, tombstone_until_ms=now + USERNAME_REST_MS):
            raise NotFound("This account no longer exists.", code="user_not_found")
        await self._end_sessions(user_id)
        await self.profile_marks.author_changed(user_id)     # its profile grid: not found at once
        # Accounts embedded in statuses and notifications: gone at once (whatever embeds it is left out).
        await self.cards.forget(user_id)
        await self.bodies.forget_author(user_id)
        await self.search.visibility_changed(user_id)      # its profile and every post it made
        self._driving.start(user_id, lambda: self._drive(user_id))

    async def _end_sessions(self, user_id: int) -> None:
        await self.sessions.revoke_all(user_id)
        await self.tokens.revoke_account(user_id)

    # --- driving an erasure ---------------------------------------------------------------------
    async def wait(self, user_id: int) -> None:
        """Until this process's erasure of the account (if any) ends (tests)."""
        await self._driving.wait(user_id)

    async def _drive(self, user_id: int) -> None:
        lease = Lease(self.redis, redis_keys.erase_lease(user_id), self.lease_ms)
        if not await lease.take():
            return          # another gateway erases it
        async with lease.kept():
            try:
                await self._erase(user_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("account %s: erasure not completed; a sweep will resume it", user_id)

    async def _erase(self, user_id: int) -> None:
        avatar = await erasure.avatar_keys(self.driver, user_id)
        if avatar is None:
            return          # erased already
        # Again: a login that raced the deletion may have issued a session after it.
        await self._end_sessions(user_id)
        # Timelines: the unfollow path for everyone who follows the account, a page at a time.
        async for page in follower_pages(self.driver, user_id, max(self.batch, 1000)):
            await self.feed.unfollowed(page, user_id)
        # Posts: objects first, then the nodes (with their media and the comments on them).
        while posts := await erasure.post_batch(self.driver, user_id, self.batch):
            await storage.delete_keys(self.s3, self.bucket, [k for p in posts for k in p["keys"]])
            ids = [p["id"] for p in posts]
            await erasure.delete_posts(self.driver, ids)
            for post_id in ids:
                await self.bodies.forget(post_id)
                await self.search.post_changed(post_id)
        while staged := await erasure.staged_media_batch(self.driver, user_id, self.batch):
            await storage.delete_keys(self.s3, self.bucket, [k for m in staged for k in m["keys"]])
            await erasure.delete_media(self.driver, [m["id"] for m in staged])
        if avatar:
            await storage.delete_keys(self.s3, self.bucket, avatar)
            await erasure.forget_avatar(self.driver, user_id)
        # Its data exports (usecases/exports.py).
        async for keys in storage.list_keys(self.s3, self.bucket, account_prefix(user_id)):
            await storage.delete_keys(self.s3, self.bucket, keys)
        # Likes and comments it made: the posts they were on change counts.
        while liked := await erasure.unlike_batch(self.driver, user_id, self.batch):
            await self._changed_posts(liked)
        while commented := await erasure.comment_batch(self.driver, user_id, self.batch):
            await self._changed_posts(commented)
        while await erasure.notification_batch(self.driver, user_id, self.batch):
            pass
        while True:
            removed, counted = await erasure.edge_batch(self.driver, user_id, self.batch)
            for other in counted:
                await self.search.user_changed(other)           # their follower or following count
            if not removed:
                break
        await self.redis.delete(*account_redis_keys(user_id))
        await erasure.finish(self.driver, user_id)
        await self.search.user_changed(user_id)
        log.info("account %s erased", user_id)

    async def _changed_posts(self, post_ids: list[int]) -> None:
        for post_id in sorted(set(post_ids)):
            await self.bodies.forget(post_id)
            await self.search.post_changed(post_id)

    # --- the sweep ------------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Take over erasures nobody drives (their lease lapsed), and let expired username
        tombstones go; how many erasures were found."""
        ids = await erasure.erasing_ids(self.driver)
        for user_id in ids:
            self._driving.start(user_id, lambda user_id=user_id: self._drive(user_id))
        await erasure.drop_expired_tombstones(self.driver, now_ms())
        return len(ids)

    async def run_sweeps(self) -> None:
        await Periodic("erase", self.sweep_s, self.sweep, first_now=True).run()

    async def close(self) -> None:
        """Stop erasing (shutdown): leases are released, so another gateway takes over at once."""
        await self._driving.close()
