"""What the live renderer (live/session.py) reads from the stores, with explicit dependencies:
posts as a feed reader may see them now (never an author the reader blocks, is blocked by or
mutes), and notifications that still exist."""
from __future__ import annotations

from neo4j import AsyncDriver

from graph import notifications
from graph.feed_queries import followees_among, followers_among
from stores.hidden_authors import HiddenAuthors
from stores.liked_posts import LikedPosts
from stores.post_bodies import PostBodies

from .media_urls import MediaUrls
from .views import notification_view


class StoreEventViews:
    def __init__(self, driver: AsyncDriver, bodies: PostBodies, liked: LikedPosts, urls: MediaUrls,
                 hidden: HiddenAuthors) -> None:
        self.driver, self.bodies, self.liked, self.urls, self.hidden = driver, bodies, liked, urls, hidden

    async def feed_post_for(self, viewers: list[int], post_id: int, author_id: int) -> dict[int, dict]:
        # In a feed: the author, and whoever follows them now (for a private account, approved).
        allowed = set(await followers_among(self.driver, author_id, viewers)) | ({author_id} & set(viewers))
        allowed -= await self.hidden.readers_hiding(author_id, sorted(allowed))
        if not allowed:
            return {}
        body = (await self.bodies.get([post_id])).get(post_id)
        if body is None:
            return {}                       # deleted meanwhile
        view = self.urls.render_one(body)
        ordered = sorted(allowed)
        liked = await self.liked.likers_among(post_id, ordered)
        return {viewer: {**view, "liked_by_me": is_liked} for viewer, is_liked in zip(ordered, liked)}

    async def feed_posts(self, viewer: int, refs: list[tuple[int, int]]) -> dict[int, dict]:
        authors = sorted({a for _, a in refs} - {viewer})
        allowed = await followees_among(self.driver, viewer, authors) | {viewer}
        allowed -= await self.hidden.among(viewer, authors)
        post_ids = sorted({p for p, a in refs if a in allowed})
        if not post_ids:
            return {}
        bodies = await self.bodies.get(post_ids)
        present = [bodies[p] for p in post_ids if p in bodies]
        if not present:
            return {}
        liked = await self.liked.which(viewer, [b["id"] for b in present])
        views = self.urls.render(present)
        return {int(v["id"]): {**v, "liked_by_me": is_liked} for v, is_liked in zip(views, liked)}

    async def notifications(self, viewer: int, ids: list[int]) -> dict[int, dict]:
        found = await notifications.by_ids(self.driver, viewer, sorted(set(ids)))
        return {n["id"]: notification_view(n) for n in found}
