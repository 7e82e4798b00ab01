"""Rendering of Raygram records as Mastodon entities, with what they need from the stores: the
accounts they embed, whether the viewer bookmarked each status, and signed media URLs. The shapes
themselves are pure (entities.py).

Accounts embedded in statuses, replies and notifications come from stores/user_cards.py (profile
changes show at once; counts may lag the graph by 2 s), read in one Redis round trip
with the viewer's bookmarks (usecases/saved_posts.py): a timeline page asks Neo4j nothing once
these are warm. An account asked for by itself (``accounts``) is read from the graph."""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from graph import mastodon_reads, posts as graph_posts
from gateway.media_urls import MediaUrls
from stores.user_cards import UserCards
from usecases.saved_posts import SavedPosts

from . import entities
from .status_memo import StatusMemo
from gateway.views import media_view


class Presenter:
    def __init__(self, driver: AsyncDriver, urls: MediaUrls, cards: UserCards, saved: SavedPosts) -> None:
        self.driver, self.urls, self.cards, self.saved = driver, urls, cards, saved
        # Statuses and accounts built once per version and URL window (status_memo.py).
        self.memo = StatusMemo(urls.signer.window, urls.render_one)

    async def accounts(self, user_ids: list[int], base: str) -> dict[int, dict[str, Any]]:
        """Accounts asked for by themselves: from the graph, counts exact."""
        users = await mastodon_reads.users_by_ids(self.driver, user_ids)
        return {uid: entities.account(u, base) for uid, u in users.items()}

    async def embedded_accounts(self, user_ids: list[int], base: str) -> dict[int, dict[str, Any]]:
        """Accounts as statuses and notifications embed them (stores/user_cards.py)."""
        users = await self.cards.get(user_ids)
        return {uid: self.memo.account(u, base) for uid, u in users.items()}

    async def statuses(self, posts: list[dict[str, Any]], base: str, viewer: int | None = None) -> list[dict[str, Any]]:
        """Posts (graph records or hydrated bodies, as the v1 API renders them) as Statuses;
        with ``viewer``, ``bookmarked`` says whether the viewer saved each. Each status is built
        once per version and URL window; only the viewer's flags are set per request."""
        if not posts:
            return []
        # The authors and the viewer's bookmarks: one round trip.
        reads = PageReads(self, viewer)
        async with self.cards.redis.pipeline(transaction=False) as pipe:
            reads.queue(pipe, [(int(p["id"]), int(p["author"]["id"])) for p in posts])
            replies = await pipe.execute()
        return await reads.statuses(posts, base, replies)

    def page_reads(self, viewer: int) -> "PageReads":
        """A timeline page's accounts and bookmarks, to be read in the pipeline that hydrates it."""
        return PageReads(self, viewer)

    async def statuses_from_views(self, views: list[dict[str, Any]], base: str,
                                  viewer: int | None = None) -> list[dict[str, Any]]:
        if not views:
            return []
        author_ids, post_ids = sorted({int(v["author"]["id"]) for v in views}), [int(v["id"]) for v in views]
        # The authors and the viewer's bookmarks: one round trip.
        async with self.cards.redis.pipeline(transaction=False) as pipe:
            taken = self.cards.queue_get(pipe, author_ids)
            if viewer is not None:
                self.saved.queue_saved_among(pipe, viewer, post_ids)
            replies = await pipe.execute()
        users = await self.cards.read_through(author_ids, replies[:taken])
        authors = {uid: entities.account(u, base) for uid, u in users.items()}
        marked = await self.saved.saved_among_reply(viewer, post_ids, replies[taken]) if viewer is not None else set()
        return [entities.status(v, authors[int(v["author"]["id"])], base, bookmarked=int(v["id"]) in marked)
                for v in views if int(v["author"]["id"]) in authors]

    async def comments(self, comments: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
        """Comments (with post_author_id and private, graph/mastodon_reads.visible_comments) as replies."""
        authors = await self.embedded_accounts([c["author"]["id"] for c in comments], base)
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
        actors = await self.embedded_accounts([n["actor"]["id"] for n in records], base)
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



class PageReads:
    """The authors' cards and the viewer's bookmarks of a page of posts, queued (``queue``, given
    the page's (post, author) entries) in a caller's pipeline: for a home timeline page, the one
    that hydrates it (usecases/home_feed.HomeFeed.recent_with), so a page is one Redis round trip
    after the feed read. Without a viewer, nothing is bookmarked."""

    def __init__(self, presenter: Presenter, viewer: int | None) -> None:
        self.presenter, self.viewer = presenter, viewer
        self.author_ids: list[int] = []
        self.post_ids: list[int] = []
        self.taken = 0

    def queue(self, pipe, entries: list[tuple[int, int]]) -> None:
        self.post_ids, self.author_ids = [p for p, _ in entries], sorted({a for _, a in entries})
        self.taken = self.presenter.cards.queue_get(pipe, self.author_ids)
        if self.viewer is not None:
            self.presenter.saved.queue_saved_among(pipe, self.viewer, self.post_ids)

    async def statuses(self, posts: list[dict[str, Any]], base: str, replies: list) -> list[dict[str, Any]]:
        """The posts (hydrated from the queued entries) as Statuses, from the queued reads' replies."""
        users, marked = await self._read(posts, replies)
        return self.presenter.memo.statuses(posts, users, base, marked)

    async def encoded(self, posts: list[dict[str, Any]], base: str, replies: list) -> list[tuple[str, bytes]]:
        """``statuses`` as encoded Statuses (id, JSON) (status_memo.StatusMemo.encoded)."""
        users, marked = await self._read(posts, replies)
        return self.presenter.memo.encoded(posts, users, base, marked)

    async def _read(self, posts: list[dict[str, Any]], replies: list) -> tuple[dict[int, dict[str, Any]], set[int]]:
        if not posts:           # an empty page queued nothing
            return {}, set()
        presenter = self.presenter
        users = await presenter.cards.read_through(self.author_ids, replies[:self.taken])
        marked = (await presenter.saved.saved_among_reply(self.viewer, self.post_ids, replies[self.taken])
                  if self.viewer is not None else set())
        return users, marked
