"""Turning a list of post ids into posts as one viewer may see them: batched, viewer-aware.

Post bodies (what every viewer sees) come from the post-body cache (stores/post_bodies.py). What
depends on the viewer is answered without touching the bodies: ``liked_by_me`` from the viewer's
liked set, and, for posts of private accounts other than the viewer's own, whether the viewer
still follows them (one graph query, only when such posts are on the page).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from neo4j import AsyncDriver

from graph import posts
from stores.hidden_authors import HiddenAuthors
from stores.liked_posts import LikedPosts
from stores.post_bodies import PostBodies

if TYPE_CHECKING:
    from redis.asyncio.client import Pipeline


class Hydrator:
    # Commands ``queue`` adds to a pipeline: their replies, in order, are what ``finish`` takes.
    QUEUED = 3

    def __init__(self, driver: AsyncDriver, bodies: PostBodies, liked: LikedPosts, hidden_authors: HiddenAuthors) -> None:
        self.driver, self.bodies, self.liked, self.hidden_authors = driver, bodies, liked, hidden_authors

    async def one(self, post_id: int, viewer: int) -> dict[str, Any] | None:
        """A post page: from the caches when the post is ready and shown to the viewer; otherwise
        (not ready yet, failed, a muted author's, hidden, gone) the graph decides, so the author
        sees their processing post and a muted author's post stays reachable by its link."""
        found = await self.hydrate([post_id], viewer)
        return found[0] if found else await posts.get_visible(self.driver, post_id, viewer)

    async def hydrate(self, post_ids: list[int], viewer: int, *, live_privacy: bool = False) -> list[dict[str, Any]]:
        """The posts that exist and the viewer may see, in the order of ``post_ids``.

        ``live_privacy``: decide who is private from the graph now rather than from cached bodies
        (for lists built from a source that may lag behind a privacy change, i.e. search)."""
        return (await self.hydrate_with(post_ids, viewer, None, live_privacy=live_privacy))[0]

    async def hydrate_with(self, post_ids: list[int], viewer: int, also: Callable[[Pipeline], None] | None,
                           *, live_privacy: bool = False) -> tuple[list[dict[str, Any]], list]:
        """``hydrate``, with the reads ``also`` queues in the same pipeline (the Mastodon home
        timeline's accounts and bookmarks), and their replies; none when ``post_ids`` is empty."""
        if not post_ids:
            return [], []
        async with self.bodies.redis.pipeline(transaction=False) as pipe:
            self.queue(pipe, post_ids, viewer)
            if also is not None:
                also(pipe)
            replies = await pipe.execute()
        done = self.QUEUED
        return await self.finish(post_ids, viewer, replies[:done], live_privacy=live_privacy), replies[done:]

    def queue(self, pipe: Pipeline, post_ids: list[int], viewer: int) -> None:
        """``hydrate``'s reads (``post_ids`` not empty) in a caller's pipeline: ``QUEUED`` commands,
        whose replies go to ``finish``.

        Bodies, liked flags and the authors the viewer hides (blocked either way, or muted: out of
        every feed page, replay, search and hashtag page): one pipeline, one round trip (a
        redis-py command costs ~0.1-0.2 ms of this process's CPU whatever it carries)."""
        self.bodies.queue_get(pipe, post_ids)
        self.liked.queue_which(pipe, viewer, post_ids)
        self.hidden_authors.queue_of(pipe, viewer)

    async def finish(self, post_ids: list[int], viewer: int, replies: list, *,
                     live_privacy: bool = False) -> list[dict[str, Any]]:
        """The posts from ``queue``'s three replies."""
        cached, liked_reply, hidden_reply = replies
        bodies = await self.bodies.read_through(post_ids, cached)
        liked, hidden = self.liked.which_reply(liked_reply), self.hidden_authors.of_reply(hidden_reply)
        # Whose posts might be hidden: every other author (live), or those the cached bodies call private.
        suspects = {body["author"]["id"] for body in bodies.values()
                    if live_privacy or body["author"].get("private")} - {viewer} - hidden
        if suspects:
            hidden |= await posts.hidden_among(self.driver, viewer, sorted(suspects))
        out = []
        for post_id, is_liked in zip(post_ids, liked):
            body = bodies.get(post_id)
            if body is None or body["author"]["id"] in hidden:
                continue
            body["liked_by_me"] = is_liked     # bodies are decoded afresh for each call: no copy needed
            out.append(body)
        return out
