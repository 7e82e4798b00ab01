"""Search: posts by caption words and hashtags, users by prefix, a hashtag's posts, trending tags
(usecases/search_reads.py). Posts come back hydrated like every other list and are rendered
here with signed media URLs."""
from __future__ import annotations

from aiohttp import web

from core import cursors
from search import queries

from .. import schemas
from ..http import json_response
from ..auth import current_user_id
from ..keys import MEDIA_URLS, SEARCH_READS
from ..openapi import describe
from ..views import user_view


@describe(query=[schemas.Q_POSTS, *schemas.PAGING], responses=schemas.responses({200: "PostPage"}, 400, 422))
async def search_posts(request: web.Request) -> web.Response:
    """Posts whose captions match the words and that carry every #hashtag; best match first,
    blended with recency."""
    viewer_id = await current_user_id(request)
    query = queries.parse_post_query(request.query.get("q"))
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=3)
    posts, nxt = await request.app[SEARCH_READS].posts(viewer_id, query, limit, cursor)
    return json_response({"items": request.app[MEDIA_URLS].render(posts), "next_cursor": nxt})


@describe(query=[schemas.Q_USERS, *schemas.PAGING], responses=schemas.responses({200: "UserPage"}, 400, 422))
async def search_users(request: web.Request) -> web.Response:
    """Accounts whose username or display name starts with the query; exact usernames first."""
    viewer_id = await current_user_id(request)
    prefix = queries.parse_user_query(request.query.get("q"))
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"), arity=2)
    users, nxt = await request.app[SEARCH_READS].users(viewer_id, prefix, limit, cursor)
    return json_response({"items": [user_view(u) for u in users], "next_cursor": nxt})


@describe(query=schemas.PAGING, responses=schemas.responses({200: "PostPage"}, 400, 422))
async def hashtag_posts(request: web.Request) -> web.Response:
    """Posts carrying the hashtag, newest first."""
    viewer_id = await current_user_id(request)
    tag = queries.parse_tag(request.match_info["tag"])
    limit = cursors.parse_limit(request.query.get("limit"))
    cursor = cursors.decode(request.query.get("cursor"))
    posts, nxt = await request.app[SEARCH_READS].hashtag(viewer_id, tag, limit, cursor)
    return json_response({"items": request.app[MEDIA_URLS].render(posts), "next_cursor": nxt})


@describe(query=[schemas.LIMIT], responses=schemas.responses({200: "Trending"}, 422))
async def trending(request: web.Request) -> web.Response:
    """Hashtags used far more in the last window (RAYGRAM_TRENDING_WINDOW_S) than their own
    baseline predicts; `posts` counts public posts in the window."""
    await current_user_id(request)
    limit = cursors.parse_limit(request.query.get("limit"))
    return json_response(await request.app[SEARCH_READS].trending(limit))


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/search/posts", search_posts)
    app.router.add_get("/api/v1/search/users", search_users)
    app.router.add_get("/api/v1/hashtags/trending", trending)
    app.router.add_get("/api/v1/hashtags/{tag}/posts", hashtag_posts)
