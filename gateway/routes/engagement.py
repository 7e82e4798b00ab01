"""Likes and comments."""
from __future__ import annotations

from aiohttp import web

from core import redis_keys, validation
from core.clock import now_ms
from core.errors import NotFound
from core.ids import parse_id
from graph import engagement

from .. import schemas
from ..auth import current_user_id
from ..http import each, no_content, paged, read_json
from ..hydration import forget
from ..keys import IDS, NEO4J, REDIS, SEARCH_EFFECTS
from ..notify import notify
from ..openapi import describe
from ..views import comment_view, user_view
from .posts import post_id_param


def _comment_id(request: web.Request) -> int:
    comment_id = parse_id(request.match_info["comment_id"])
    if comment_id is None:
        raise NotFound("No such comment.", code="comment_not_found")
    return comment_id


async def _counts_changed(app: web.Application, post_id: int) -> None:
    await forget(app, post_id)
    await app[SEARCH_EFFECTS].post_changed(post_id)


async def _liked_changed(app: web.Application, viewer: int, post_id: int, *, liked: bool) -> None:
    """Keep the reader's liked set (liked_by_me in feeds) and the cached post body in step."""
    key = redis_keys.liked_posts(viewer)
    await (app[REDIS].sadd(key, str(post_id)) if liked else app[REDIS].srem(key, str(post_id)))
    await _counts_changed(app, post_id)


@describe(responses=schemas.responses({200: "LikeState"}, 404))
async def like(request: web.Request) -> web.Response:
    """Like a post (idempotent)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    app = request.app
    change = await engagement.like(app[NEO4J], viewer, post_id, edge_id=app[IDS].next_id(), now_ms=now_ms())
    await _liked_changed(app, viewer, post_id, liked=True)
    if change.changed:
        await notify(app, recipient=change.author_id, kind="like", actor=viewer, post_id=post_id,
                     dedupe=f"like:{viewer}:{post_id}")
    return web.json_response({"liked": True, "like_count": change.like_count})


@describe(responses=schemas.responses({200: "LikeState"}, 404))
async def unlike(request: web.Request) -> web.Response:
    """Take a like back (fine if there was none)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    app = request.app
    change = await engagement.unlike(app[NEO4J], viewer, post_id)
    await _liked_changed(app, viewer, post_id, liked=False)
    return web.json_response({"liked": False, "like_count": change.like_count})


@describe(query=schemas.PAGING, responses=schemas.responses({200: "UserPage"}, 400, 404, 422))
async def likes(request: web.Request) -> web.Response:
    """Who liked a post, most recent first."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    return await paged(request, lambda before, limit: engagement.likers_page(driver, post_id, before, limit),
                       key=lambda r: (r["_edge_id"],), render=each(user_view))


@describe(requestBody=schemas.json_body("NewComment"),
          responses=schemas.responses({201: "Comment"}, 400, 404, 413, 422))
async def add_comment(request: web.Request) -> web.Response:
    """Comment on a post (1-2200 characters)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    text = validation.comment_text(await read_json(request))
    app = request.app
    comment, author = await engagement.add_comment(app[NEO4J], viewer, post_id, comment_id=app[IDS].next_id(),
                                                   text=text, now_ms=now_ms())
    await _counts_changed(app, post_id)
    await notify(app, recipient=author, kind="comment", actor=viewer, post_id=post_id, comment_id=comment["id"],
                 dedupe=f"comment:{comment['id']}")
    return web.json_response(comment_view(comment), status=201)


@describe(query=schemas.PAGING, responses=schemas.responses({200: "CommentPage"}, 400, 404, 422))
async def comments(request: web.Request) -> web.Response:
    """A post's comments, oldest first."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    return await paged(request, lambda after, limit: engagement.comments_page(driver, post_id, after, limit),
                       key=lambda c: (c["id"],), render=each(comment_view))


@describe(responses=schemas.responses({204: None}, 403, 404))
async def delete_comment(request: web.Request) -> web.Response:
    """Delete a comment (its author or the post's author)."""
    viewer = await current_user_id(request)
    post_id = post_id_param(request)
    await engagement.delete_comment(request.app[NEO4J], viewer, post_id, _comment_id(request))
    await _counts_changed(request.app, post_id)
    return no_content()


def setup(app: web.Application) -> None:
    app.router.add_put("/api/v1/posts/{post_id}/like", like)
    app.router.add_delete("/api/v1/posts/{post_id}/like", unlike)
    app.router.add_get("/api/v1/posts/{post_id}/likes", likes)
    app.router.add_post("/api/v1/posts/{post_id}/comments", add_comment)
    app.router.add_get("/api/v1/posts/{post_id}/comments", comments)
    app.router.add_delete("/api/v1/posts/{post_id}/comments/{comment_id}", delete_comment)
