"""Search: posts by caption words and hashtags, users by prefix, a hashtag's posts, trending tags.

Elasticsearch answers with ids in order, already filtered to what the caller may see; the posts
and users themselves come from the same hydration as every other list (current counts, liked_by_me,
signed media URLs), which also drops anything deleted since it was indexed.
"""
from __future__ import annotations

import json

from aiohttp import web

from core import cursors, redis_keys
from core.clock import now_ms
from graph import search_source
from search import queries, reader
from search.indexes import POSTS, USERS, index_specs
from search.trending import activity_from_aggregation, rank_trending

from .. import schemas
from ..auth import current_user_id
from ..hydration import hydrate
from ..keys import NEO4J, REDIS, SEARCH, SETTINGS
from ..media_urls import render_posts
from ..openapi import describe
from ..views import user_view


def _alias(app: web.Application, kind: str) -> str:
    return index_specs(app[SETTINGS].es_index_prefix)[kind].alias


async def _viewer(app: web.Application, viewer_id: int) -> queries.Viewer:
    return queries.Viewer(viewer_id, tuple(await search_source.private_followees(app[NEO4J], viewer_id)))


def _paged(sorts: list[list], limit: int, cursor_of) -> tuple[list[list], str | None]:
    """The page's sort values (the id is the last) and the cursor after them."""
    page = cursors.page(sorts, limit, key=cursor_of)
    return page["items"], page["next_cursor"]


async def _posts_page(request: web.Request, viewer_id: int, ids: list[int]) -> list[dict]:
    # Hydration keeps the search order and drops posts deleted since they were indexed.
    return await render_posts(request.app, await hydrate(request.app, ids, viewer_id, live_privacy=True))


@describe(query=[schemas.Q_POSTS, *schemas.PAGING], responses=schemas.responses({200: "PostPage"}, 400, 422))
async def search_posts(request: web.Request) -> web.Response:
    """Posts whose captions match the words and that carry every #hashtag; best match first,
    blended with recency."""
    viewer_id = await current_user_id(request)
    app = request.app
    query = queries.parse_post_query(request.query.get("q"))
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=3)
    origin = cursor[0] if cursor else now_ms()
    after = (cursors.from_float_key(cursor[1]), cursor[2]) if cursor else None
    body = queries.search_posts(query, await _viewer(app, viewer_id), origin_ms=origin, after=after, size=limit + 1)
    sorts = reader.hit_sorts(await reader.run(app[SEARCH], _alias(app, POSTS), body))
    # Sort values are [score, id], or [id] for hashtag-only queries (newest first).
    page, nxt = _paged(sorts, limit, lambda s: (origin, cursors.float_key(s[0]) if len(s) > 1 else 0, s[-1]))
    items = await _posts_page(request, viewer_id, [s[-1] for s in page])
    return web.json_response({"items": items, "next_cursor": nxt})


@describe(query=[schemas.Q_USERS, *schemas.PAGING], responses=schemas.responses({200: "UserPage"}, 400, 422))
async def search_users(request: web.Request) -> web.Response:
    """Accounts whose username or display name starts with the query; exact usernames first."""
    viewer_id = await current_user_id(request)
    app = request.app
    prefix = queries.parse_user_query(request.query.get("q"))
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=2)
    after = (cursors.from_float_key(cursor[0]), cursor[1]) if cursor else None
    body = queries.search_users(prefix, after=after, size=limit + 1)
    sorts = reader.hit_sorts(await reader.run(app[SEARCH], _alias(app, USERS), body))
    page, nxt = _paged(sorts, limit, lambda s: (cursors.float_key(s[0]), s[1]))
    users = await search_source.users_as_seen_by(app[NEO4J], [s[1] for s in page], viewer_id)
    return web.json_response({"items": [user_view(u) for u in users], "next_cursor": nxt})


@describe(query=schemas.PAGING, responses=schemas.responses({200: "PostPage"}, 400, 422))
async def hashtag_posts(request: web.Request) -> web.Response:
    """Posts carrying the hashtag, newest first."""
    viewer_id = await current_user_id(request)
    app = request.app
    tag = queries.parse_tag(request.match_info["tag"])
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"))
    body = queries.hashtag_posts(tag, await _viewer(app, viewer_id), before=cursor[0] if cursor else None,
                                 size=limit + 1)
    sorts = reader.hit_sorts(await reader.run(app[SEARCH], _alias(app, POSTS), body))
    page, nxt = _paged(sorts, limit, lambda s: (s[0],))
    items = await _posts_page(request, viewer_id, [s[0] for s in page])
    return web.json_response({"items": items, "next_cursor": nxt})


@describe(query=[schemas.LIMIT], responses=schemas.responses({200: "Trending"}, 422))
async def trending(request: web.Request) -> web.Response:
    """Hashtags used far more in the last window (RAYGRAM_TRENDING_WINDOW_S) than their own
    baseline predicts; `posts` counts public posts in the window."""
    await current_user_id(request)
    app, settings = request.app, request.app[SETTINGS]
    limit = cursors.parse_limit(request.query.get("limit"))
    window, baseline = settings.trending_window_s, settings.trending_baseline_s
    key = redis_keys.trending_cache(window, baseline, limit)
    cached = await app[REDIS].get(key) if settings.trending_cache_s else None
    if cached is not None:
        return web.json_response(json.loads(cached))
    response = await reader.run(app[SEARCH], _alias(app, POSTS), queries.trending(window_s=window, baseline_s=baseline))
    items = rank_trending(activity_from_aggregation(response["aggregations"]), window_s=window,
                          baseline_s=baseline, min_authors=settings.trending_min_authors, limit=limit)
    result = {"items": items}
    if settings.trending_cache_s:
        await app[REDIS].set(key, json.dumps(result), ex=settings.trending_cache_s)
    return web.json_response(result)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/search/posts", search_posts)
    app.router.add_get("/api/v1/search/users", search_users)
    app.router.add_get("/api/v1/hashtags/trending", trending)
    app.router.add_get("/api/v1/hashtags/{tag}/posts", hashtag_posts)
