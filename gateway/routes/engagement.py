"""Likes and comments."""
from __future__ import annotations

from aiohttp import web

from core import validation
from graph import engagement

from .. import schemas
from ..auth import current_user_id
from ..http import each, id_param, no_content, paged, read_json
from ..keys import ENGAGEMENT, NEO4J
from ..openapi import Routes
from ..views import comment_view, user_view
from .posts import post_id_param

# Each handler declares its route and OpenAPI fields on the table; setup() adds it.
routes = Routes()


async def _set_like(request: web.Request, liked: bool) -> web.Response:
    viewer = await current_user_id(request)
    use_case = request.app[ENGAGEMENT]
    change = await (use_case.like if liked else use_case.unlike)(viewer, post_id_param(request))
    return web.json_response({"liked": liked, "like_count": change.like_count})


async def _visible_post_page(request: web.Request, page_of, cursor_field: str, view) -> web.Response:
    """A page of what hangs off a post the caller may see (404 otherwise): ``page_of(driver,
    post_id, cursor value, limit, viewer)`` reads the rows, paged by their ``cursor_field``, each
    rendered by ``view``."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    return await paged(request, lambda cursor, limit: page_of(driver, post_id, cursor, limit, viewer),
                       key=lambda row: (row[cursor_field],), render=each(view))


@routes.op("PUT", "/api/v1/posts/{post_id}/like", responses=schemas.responses({200: "LikeState"}, 404))
async def like(request: web.Request) -> web.Response:
    """Like a post (idempotent)."""
    return await _set_like(request, True)


@routes.op("DELETE", "/api/v1/posts/{post_id}/like", responses=schemas.responses({200: "LikeState"}, 404))
async def unlike(request: web.Request) -> web.Response:
    """Take a like back (fine if there was none)."""
    return await _set_like(request, False)


@routes.op("GET", "/api/v1/posts/{post_id}/likes",
           query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 404, 422))
async def likes(request: web.Request) -> web.Response:
    """Who liked a post, most recent first."""
    return await _visible_post_page(request, engagement.likers_page, "_edge_id", user_view)


@routes.op("POST", "/api/v1/posts/{post_id}/comments",
           requestBody=schemas.json_body("NewComment"),
           responses=schemas.responses({201: "Comment"}, 400, 404, 413, 422))
async def add_comment(request: web.Request) -> web.Response:
    """Comment on a post (1-2200 characters)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    text = validation.comment_text(await read_json(request))
    comment = await request.app[ENGAGEMENT].comment(viewer, post_id, text)
    return web.json_response(comment_view(comment), status=201)


@routes.op("GET", "/api/v1/posts/{post_id}/comments",
           query=schemas.PAGING, responses=schemas.responses({200: "CommentPage"}, 400, 404, 422))
async def comments(request: web.Request) -> web.Response:
    """A post's comments, oldest first."""
    return await _visible_post_page(request, engagement.comments_page, "id", comment_view)


@routes.op("DELETE", "/api/v1/posts/{post_id}/comments/{comment_id}",
           responses=schemas.responses({204: None}, 403, 404))
async def delete_comment(request: web.Request) -> web.Response:
    """Delete a comment (its author or the post's author)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    await request.app[ENGAGEMENT].delete_comment(viewer, post_id, id_param(request, "comment_id", "comment"))
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
