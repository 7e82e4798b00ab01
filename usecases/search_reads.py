"""Search: posts by caption words and hashtags, users by prefix, a hashtag's posts, trending tags.

Elasticsearch answers with ids in order, already filtered to what the caller may see; the posts
themselves come from the same hydration as every other list (current counts, liked_by_me), which
also drops anything deleted since it was indexed, and users from the graph (with the caller's
relationship to each).
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
from search.trending import activity_from_aggregation, rank_trending
from stores.trending_cache import TrendingCache

from .hydration import Hydrator

Page = tuple[list[dict[str, Any]], str | None]     # items, and the next page's cursor if any


def _paged(sorts: list[list], limit: int, cursor_of) -> tuple[list[list], str | None]:
    """The page's sort values (the id is the last) and the cursor after them."""
    page = cursors.page(sorts, limit, key=cursor_of)
    return page["items"], page["next_cursor"]


class SearchReads:
    def __init__(self, es: AsyncElasticsearch, driver: AsyncDriver, hydrator: Hydrator, trending_cache: TrendingCache,
                 *, index_prefix: str, trending_window_s: int, trending_baseline_s: int,
                 trending_min_authors: int) -> None:
        self.es, self.driver, self.hydrator, self.trending_cache = es, driver, hydrator, trending_cache
        specs = index_specs(index_prefix)
        self.posts_alias, self.users_alias = specs[POSTS].alias, specs[USERS].alias
        self.window_s, self.baseline_s, self.min_authors = trending_window_s, trending_baseline_s, trending_min_authors

    async def posts(self, viewer_id: int, query: queries.PostQuery, limit: int, cursor: tuple | None) -> Page:
        """Posts whose captions match the words and that carry every #hashtag; best match first,
        blended with recency."""
        origin = cursor[0] if cursor else now_ms()
        after = (cursors.from_float_key(cursor[1]), cursor[2]) if cursor else None
        sorts = await self._as_seen_by(viewer_id, lambda viewer: reader.post_search_sorts(
            self.es, self.posts_alias, query, viewer, origin_ms=origin, after=after, size=limit + 1))
        # Sort values are [score, id], or [id] for hashtag-only queries (newest first).
        page, nxt = _paged(sorts, limit, lambda s: (origin, cursors.float_key(s[0]) if len(s) > 1 else 0, s[-1]))
        return await self._posts(viewer_id, [s[-1] for s in page]), nxt

    async def users(self, viewer_id: int, prefix: str, limit: int, cursor: tuple | None) -> Page:
        """Accounts whose username or display name starts with ``prefix``; exact usernames first."""
        after = (cursors.from_float_key(cursor[0]), cursor[1]) if cursor else None
        body = queries.search_users(prefix, after=after, size=limit + 1)
        sorts = reader.hit_sorts(await reader.run(self.es, self.users_alias, body))
        page, nxt = _paged(sorts, limit, lambda s: (cursors.float_key(s[0]), s[1]))
        return await search_source.users_as_seen_by(self.driver, [s[1] for s in page], viewer_id), nxt

    async def hashtag(self, viewer_id: int, tag: str, limit: int, cursor: tuple | None) -> Page:
        """Posts carrying the hashtag, newest first."""
        sorts = await self._as_seen_by(viewer_id, lambda viewer: self._sorts(queries.hashtag_posts(
            tag, viewer, before=cursor[0] if cursor else None, size=limit + 1)))
        page, nxt = _paged(sorts, limit, lambda s: (s[0],))
        return await self._posts(viewer_id, [s[0] for s in page]), nxt

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

    async def _sorts(self, body: dict) -> list[list]:
        return reader.hit_sorts(await reader.run(self.es, self.posts_alias, body))

    async def _as_seen_by(self, viewer_id: int, search: Callable[[queries.Viewer], Awaitable[list[list]]]) -> list[list]:
        """``search`` filtered to what the viewer may see. It needs the private accounts that
        approved the viewer (the graph); most viewers have none, so the search starts at once as
        if there were none, beside that graph read, and runs again only if there are some."""
        speculative = asyncio.ensure_future(search(queries.Viewer(viewer_id, ())))
        # Its outcome is read below or deliberately dropped: never "exception never retrieved".
        speculative.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            followees = await search_source.private_followees(self.driver, viewer_id)
        except BaseException:
            speculative.cancel()
            raise
        if followees:
            speculative.cancel()
            return await search(queries.Viewer(viewer_id, tuple(followees)))
        return await speculative

    async def _posts(self, viewer_id: int, ids: list[int]) -> list[dict[str, Any]]:
        # Hydration keeps the search order and drops posts deleted since they were indexed.
        return await self.hydrator.hydrate(ids, viewer_id, live_privacy=True)
