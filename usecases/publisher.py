"""Publishing a post: the one path from media to a post in every timeline.

Order, for a v1 upload: hashtags checked → quota reserved → the files ingested
(usecases/media_ingest.py: sniffed, checked, processed in the pool, every variant in S3) → the
post and its media created in Neo4j in one transaction. Only then is the post visible: bytes and
metadata are both durable. Any failure before the commit gives the quota back and deletes what
was stored. After the commit the post is announced (``Announcer``).

A Mastodon status publishes media uploaded before it (usecases/media_library.py): the same steps,
with the staged media attached in the commit instead of ingested.

A post with a video is committed ``processing`` and handed to usecases/video_posts.py, which
announces it through the same ``Announcer`` once every video is transcoded.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator

from neo4j import AsyncDriver

from core.clock import now_ms
from core.errors import ValidationFailed
from core.ids import IdGenerator
from actors.feed_engine import FeedEngine
from graph import posts, staged_media
from media.hashtags import MAX_HASHTAGS, parse_hashtags
from search.port import OutboxSearchEffects
from stores.profile_marks import ProfileMarks
from stores.quotas import PostQuotas

from .media_ingest import MediaIngest, numbered

log = logging.getLogger(__name__)


def checked_hashtags(caption: str) -> list[str]:
    """The caption's hashtags, within what a post may carry (at creation and on every edit)."""
    hashtags = parse_hashtags(caption)
    if len(hashtags) > MAX_HASHTAGS:
        raise ValidationFailed(f"A caption may have at most {MAX_HASHTAGS} hashtags.", code="too_many_hashtags")
    return hashtags


class Announcer:
    """What publication does once a post is committed and ready: fan-out (timelines, and the
    live ``feed.post`` events the shards log for readers present) and the search outbox. A photo
    post right after its commit; a video post when its transcodes end."""

    def __init__(self, feed: FeedEngine, search: OutboxSearchEffects, profile_marks: ProfileMarks) -> None:
        self.feed, self.search, self.profile_marks = feed, search, profile_marks

    async def published(self, post: dict[str, Any]) -> None:
        await self.profile_marks.author_changed(post["author"]["id"])      # the profile grid shows it at once
        await self.feed.published(post)
        await self.search.post_changed(post["id"])
        await self.search.user_changed(post["author"]["id"])       # its post count in user search


class Publisher:
    def __init__(self, driver: AsyncDriver, ids: IdGenerator, quotas: PostQuotas, ingest: MediaIngest,
                 announcer: Announcer, videos: Any = None) -> None:
        self.driver, self.ids, self.quotas, self.ingest = driver, ids, quotas, ingest
        # usecases.video_posts.VideoPosts: drives a post committed processing to ready.
        self.announcer, self.videos = announcer, videos

    async def publish(self, author_id: int, *, caption: str, media_paths: list[str], alts: list[str],
                      workdir: str) -> dict[str, Any]:
        """The new post (a graph record; the route renders it). ``media_paths`` are the received
        files, in order; ``workdir`` is where their variants go."""
        hashtags = checked_hashtags(caption)
        async with self._reserved(author_id):
            async with self.ingest.stored(author_id, media_paths, workdir, label=numbered) as got:
                media = [{**item, "alt": alts[i] if i < len(alts) else ""} for i, item in enumerate(got.media)]
                post = await posts.create_post(self.driver, author_id=author_id, post_id=self.ids.next_id(),
                                               caption=caption, hashtags=hashtags, media=media, now_ms=now_ms(),
                                               state="processing" if got.probed else None)
        if got.probed:
            # The author's own grid shows it processing at once.
            await self.announcer.profile_marks.author_changed(author_id)
            # Announced when its videos are transcoded (or failed, with the quota given back).
            await self.videos.started(post["id"])
        else:
            await self.announcer.published(post)
        return post

    async def publish_staged(self, author_id: int, *, caption: str, media_ids: list[int]) -> dict[str, Any]:
        """The new post (a graph record) with the author's staged media, in order."""
        hashtags = checked_hashtags(caption)
        async with self._reserved(author_id):
            post = await staged_media.publish(self.driver, author_id=author_id, post_id=self.ids.next_id(),
                                              caption=caption, hashtags=hashtags, media_ids=media_ids,
                                              now_ms=now_ms(),
                                              max_videos=self.videos.max_per_post if self.videos else None)
        await self.announcer.published(post)
        return post

    @contextlib.asynccontextmanager
    async def _reserved(self, author_id: int) -> AsyncIterator[None]:
        """A post of the author's daily and monthly quota, given back if the body fails."""
        reservation = await self.quotas.reserve(author_id, now_ms())
        try:
            yield
        except BaseException:
            await asyncio.shield(self._release(reservation))
            raise

    async def _release(self, reservation: Any) -> None:
        try:
            await self.quotas.release(reservation)
        except Exception:
            log.exception("could not release a post quota reservation")
