"""Likes and comments."""
from __future__ import annotations

from aiohttp import web

from core import validation
from core.errors import NotFound
from core.ids import parse_id
from graph import engagement

from .. import schemas
from ..auth import current_user_id
from ..http import each, no_content, paged, read_json
from ..keys import ENGAGEMENT, NEO4J
from ..openapi import describe
from ..views import comment_view, user_view
from .posts import post_id_param


def _comment_id(request: web.Request) -> int:
    comment_id = parse_id(request.match_info["comment_id"])
    if comment_id is None:
        raise NotFound("No such comment.", code="comment_not_found")
    return comment_id


@describe(responses=schemas.responses({200: "LikeState"}, 404))
async def like(request: web.Request) -> web.Response:
    """Like a post (idempotent)."""
    viewer = await current_user_id(request)
    change = await request.app[ENGAGEMENT].like(viewer, post_id_param(request))
    return web.json_response({"liked": True, "like_count": change.like_count})


@describe(responses=schemas.responses({200: "LikeState"}, 404))
async def unlike(request: web.Request) -> web.Response:
    """Take a like back (fine if there was none)."""
    viewer = await current_user_id(request)
    change = await request.app[ENGAGEMENT].unlike(viewer, post_id_param(request))
    return web.json_response({"liked": False, "like_count": change.like_count})


@describe(query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 404, 422))
async def likes(request: web.Request) -> web.Response:
    """Who liked a post, most recent first."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    return await paged(request, lambda before, limit: engagement.likers_page(driver, post_id, before, limit, viewer),
                       key=lambda r: (r["_edge_id"],), render=each(user_view))


@describe(requestBody=schemas.json_body("NewComment"),
          responses=schemas.responses({201: "Comment"}, 400, 404, 413, 422))
async def add_comment(request: web.Request) -> web.Response:
    """Comment on a post (1-2200 characters)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    text = validation.comment_text(await read_json(request))
    comment = await request.app[ENGAGEMENT].comment(viewer, post_id, text)
    return web.json_response(comment_view(comment), status=201)


@describe(query=schemas.PAGING, responses=schemas.responses({200: "CommentPage"}, 400, 404, 422))
async def comments(request: web.Request) -> web.Response:
    """A post's comments, oldest first."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    return await paged(request, lambda after, limit: engagement.comments_page(driver, post_id, after, limit, viewer),
                       key=lambda c: (c["id"],), render=each(comment_view))


@describe(responses=schemas.responses({204: None}, 403, 404))
async def delete_comment(request: web.Request) -> web.Response:
    """Delete a comment (its author or the post's author)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    await request.app[ENGAGEMENT].delete_comment(viewer, post_id, _comment_id(request))
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_put("/api/v1/posts/{post_id}/like", like)
    app.router.add_delete("/api/v1/posts/{post_id}/like", unlike)
    app.router.add_get("/api/v1/posts/{post_id}/likes", likes)
    app.router.add_post("/api/v1/posts/{post_id}/comments", add_comment)
    app.router.add_get("/api/v1/posts/{post_id}/comments", comments)
    app.router.add_delete("/api/v1/posts/{post_id}/comments/{comment_id}", delete_comment)
