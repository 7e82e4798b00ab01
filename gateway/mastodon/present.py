"""Rendering of Raygram records as Mastodon entities, with what they need from the stores: the
authors' accounts (one batched graph read per page) and signed media URLs. The shapes themselves
are pure (entities.py)."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from graph import mastodon_reads, posts as graph_posts, saved
from gateway.media_urls import MediaUrls

from . import entities
from gateway.views import media_view


class Presenter:
    def __init__(self, driver: AsyncDriver, urls: MediaUrls) -> None:
        self.driver, self.urls = driver, urls

    async def accounts(self, user_ids: list[int], base: str) -> dict[int, dict[str, Any]]:
        users = await mastodon_reads.users_by_ids(self.driver, user_ids)
        return {uid: entities.account(u, base) for uid, u in users.items()}

    async def statuses(self, posts: list[dict[str, Any]], base: str, viewer: int | None = None) -> list[dict[str, Any]]:
        """Posts (graph records or hydrated bodies, as the v1 API renders them) as Statuses;
        with ``viewer``, ``bookmarked`` says whether the viewer saved each."""
        if not posts:
            return []
        views = self.urls.render(posts)
        return await self.statuses_from_views(views, base, viewer)

    async def statuses_from_views(self, views: list[dict[str, Any]], base: str,
                                  viewer: int | None = None) -> list[dict[str, Any]]:
        authors = await self.accounts([int(v["author"]["id"]) for v in views], base)
        marked = (await saved.saved_among(self.driver, viewer, [int(v["id"]) for v in views])
                  if viewer is not None and views else set())
        return [entities.status(v, authors[int(v["author"]["id"])], base, bookmarked=int(v["id"]) in marked)
                for v in views if int(v["author"]["id"]) in authors]

    async def comments(self, comments: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
        """Comments (with post_author_id and private, graph/mastodon_reads.visible_comments) as replies."""
        authors = await self.accounts([c["author"]["id"] for c in comments], base)
        return [entities.comment_status(c, authors[c["author"]["id"]], c["post_author_id"], c["private"], base)
                for c in comments if c["author"]["id"] in authors]

    async def media(self, media: dict[str, Any], base: str) -> dict[str, Any]:
        """A staged upload as a MediaAttachment (a video's renditions too, once transcoded), viewed
        as a post's media are (gateway/views.media_view) plus the frame rate its probe found."""
        urls = self.urls.urls([*(media.get("keys") or []), *(media.get("rendition_keys") or [])])
        return entities.media_attachment({**media_view(media, urls), "fps": media.get("fps")}, base)

    async def notifications(self, viewer: int, records: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
        """Notifications Mastodon has a type for, with their accounts and statuses; one whose
        status is gone (a deleted post or comment) is left out."""
        records = [n for n in records if n["type"] in entities.NOTIFICATION_TYPES]
        actors = await self.accounts([n["actor"]["id"] for n in records], base)
        post_ids = sorted({n["post_id"] for n in records if n["type"] == "like" and n.get("post_id") is not None})
        comment_ids = sorted({n["comment_id"] for n in records if n["type"] == "comment" and n.get("comment_id")})
        posts_by_id = {}
        for post_id in post_ids:
            post = await graph_posts.get_visible(self.driver, post_id, viewer)
            if post is not None:
                posts_by_id[post_id] = post
        post_statuses = {int(s["id"]): s for s in await self.statuses(list(posts_by_id.values()), base)}
        found = await mastodon_reads.visible_comments(self.driver, viewer, comment_ids)
        comment_statuses = {int(s["id"]): s for s in await self.comments(list(found.values()), base)}
        out = []
        for n in records:
            actor = actors.get(n["actor"]["id"])
            if actor is None:
                continue
            status = None
            if n["type"] == "like":
                status = post_statuses.get(n.get("post_id"))
                if status is None:
                    continue
            elif n["type"] == "comment":
                status = comment_statuses.get(n.get("comment_id"))
                if status is None:
                    continue
            out.append(entities.notification(n, actor, status))
        return out

