"""Search: posts by caption words and hashtags, users by prefix, a hashtag's posts, trending tags.

Elasticsearch answers with ids in order, already filtered to what the caller may see; the posts
themselves come from the same hydration as every other list (current counts, liked_by_me), which
also drops anything deleted since it was indexed, and users from the index's own answer with
the caller's relationships from Redis (usecases/seen_accounts.py).

Privacy is exact without a graph query per search. The filter's inputs come from Redis
(search/visibility.py): the viewer's private followees (a cache) and the authors whose privacy
changed after the index last wrote their posts. A page is checked against the graph (hydration's
live privacy) only when one of its posts is by a private author other than the viewer (the
followee cache may be stale) or by an author with such a change in flight; a page of public
authors the index is up to date about needs no check, since the index has their privacy as the
graph has it. Blocks and mutes are hydration's, from Redis, on every page.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver

from core import cursors
from core.clock import now_ms
from graph import search_source
from search import queries, reader
from search.indexes import POSTS, USERS, index_specs
from search.reader import PostHit
from search.trending import activity_from_aggregation, rank_trending
from stores.search_visibility import SearchVisibility
from stores.trending_cache import TrendingCache

from .hydration import Hydrator
from .seen_accounts import SeenAccounts

Page = tuple[list[dict[str, Any]], str | None]     # items, and the next page's cursor if any


def _paged(hits: list, limit: int, cursor_of) -> tuple[list, str | None]:
    """The page's hits and the cursor after them."""
    page = cursors.page(hits, limit, key=cursor_of)
    return page["items"], page["next_cursor"]


class SearchReads:
    def __init__(self, es: AsyncElasticsearch, driver: AsyncDriver, hydrator: Hydrator, trending_cache: TrendingCache,
                 visibility: SearchVisibility, accounts: SeenAccounts, *, index_prefix: str, trending_window_s: int,
                 trending_baseline_s: int, trending_min_authors: int) -> None:
        self.es, self.driver, self.hydrator, self.trending_cache = es, driver, hydrator, trending_cache
        self.visibility, self.accounts = visibility, accounts
        specs = index_specs(index_prefix)
        self.posts_alias, self.users_alias = specs[POSTS].alias, specs[USERS].alias
        self.window_s, self.baseline_s, self.min_authors = trending_window_s, trending_baseline_s, trending_min_authors

    async def posts(self, viewer_id: int, query: queries.PostQuery, limit: int, cursor: tuple | None) -> Page:
        """Posts whose captions match the words and that carry every #hashtag; best match first,
        blended with recency."""
        origin = cursor[0] if cursor else now_ms()
        after = (cursors.from_float_key(cursor[1]), cursor[2]) if cursor else None
        hits, pending = await self._as_seen_by(viewer_id, lambda viewer: reader.post_search(
            self.es, self.posts_alias, query, viewer, origin_ms=origin, after=after, size=limit + 1))
        # Sort values are [score, id], or [id] for hashtag-only queries (newest first).
        page, nxt = _paged(hits, limit, lambda h: (origin, cursors.float_key(h.sort[0]) if len(h.sort) > 1 else 0,
                                                   h.id))
        return await self._posts(viewer_id, page, pending), nxt

    async def users(self, viewer_id: int, prefix: str, limit: int, cursor: tuple | None) -> Page:
        """Accounts whose username or display name starts with ``prefix``; exact usernames first."""
        after = (cursors.from_float_key(cursor[0]), cursor[1]) if cursor else None
        body = queries.search_users(prefix, after=after, size=limit + 1)
        hits = reader.user_hits(await reader.run(self.es, self.users_alias, body, cache=True))
        page, nxt = _paged(hits, limit, lambda h: (cursors.float_key(h.sort[0]), h.id))
        return await self.accounts.page(viewer_id, page), nxt

    async def hashtag(self, viewer_id: int, tag: str, limit: int, cursor: tuple | None) -> Page:
        """Posts carrying the hashtag, newest first."""
        hits, pending = await self._as_seen_by(viewer_id, lambda viewer: self._hits(queries.hashtag_posts(
            tag, viewer, before=cursor[0] if cursor else None, size=limit + 1)))
        page, nxt = _paged(hits, limit, lambda h: (h.id,))
        return await self._posts(viewer_id, page, pending), nxt

    async def trending(self, limit: int) -> dict[str, Any]:
        """Hashtags used far more in the last window than their own baseline predicts."""
        window, baseline = self.window_s, self.baseline_s
        cached = await self.trending_cache.get(window, baseline, limit)
        if cached is not None:
            return cached
        response = await reader.run(self.es, self.posts_alias, queries.trending(window_s=window, baseline_s=baseline))
        items = rank_trending(activity_from_aggregation(response["aggregations"]), window_s=window,
                              baseline_s=baseline, min_authors=self.min_authors, limit=limit)
        result = {"items": items}
        await self.trending_cache.put(window, baseline, limit, result)
        return result

    async def _hits(self, body: dict) -> list[PostHit]:
        # Hashtag pages: newest first by id, nothing time-relative in the body (cacheable).
        return reader.post_hits(await reader.run(self.es, self.posts_alias, body, cache=True))

    async def _as_seen_by(self, viewer_id: int, search: Callable[[queries.Viewer], Awaitable[list[PostHit]]]
                          ) -> tuple[list[PostHit], set[int]]:
        """``search`` filtered to what the viewer may see, and the authors whose privacy the index
        may not show yet. The filter needs the private accounts that approved the viewer: from
        Redis when cached (one round trip with the pending privacy changes), else from the graph."""
        followees, pending = await self.visibility.viewer_state(viewer_id)
        if followees is not None:
            return await search(queries.Viewer(viewer_id, followees)), pending
        return await self._as_seen_by_graph(viewer_id, search), pending

    async def _as_seen_by_graph(self, viewer_id: int, search: Callable[[queries.Viewer], Awaitable[list[PostHit]]]
                                ) -> list[PostHit]:
        """Most viewers follow no private account, so the search starts at once as if there were
        none, beside the graph read (which then fills the cache), and runs again only if there
        are some."""
        speculative = asyncio.ensure_future(search(queries.Viewer(viewer_id, ())))
        # Its outcome is read below or deliberately dropped: never "exception never retrieved".
        speculative.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            followees = await search_source.private_followees(self.driver, viewer_id)
        except BaseException:
            speculative.cancel()
            raise
        await self.visibility.remember_followees(viewer_id, followees)
        if followees:
            speculative.cancel()
            return await search(queries.Viewer(viewer_id, tuple(followees)))
        return await speculative

    async def _posts(self, viewer_id: int, hits: list[PostHit], pending: set[int]) -> list[dict[str, Any]]:
        # Hydration keeps the search order and drops posts deleted since they were indexed. The
        # graph decides who may see the page's posts only if the index may be wrong about it.
        suspect = any((h.author_private and h.author_id != viewer_id) or h.author_id in pending for h in hits)
        return await self.hydrator.hydrate([h.id for h in hits], viewer_id, live_privacy=suspect)
