"""Posts and media: upload, read, delete, and an author's posts."""
from __future__ import annotations

from aiohttp import web

from core import validation
from core.errors import NotFound
from core.ids import parse_id

from .. import schemas
from ..auth import current_user_id
from ..http import json_response, no_content, paged, read_json
from ..keys import AUTHOR_POSTS, HYDRATOR, MEDIA_URLS, POSTS, PUBLISHER, SETTINGS
from ..multipart import new_workdir
from ..openapi import describe
from ..uploads import receive
from .social import username_param


def post_id_param(request: web.Request) -> int:
    post_id = parse_id(request.match_info["post_id"])
    if post_id is None:
        raise NotFound("No such post.", code="post_not_found")
    return post_id


@describe(requestBody=schemas.MULTIPART_POST,
          responses=schemas.responses({201: "Post", 202: "Post"}, 400, 413, 415, 422, 429))
async def create_post(request: web.Request) -> web.Response:
    """Upload a post: 1-10 photos (JPEG, PNG or GIF, 10 MB each) or videos (MP4, MOV or WebM, 100 MB
    each, at most 3 minutes), a caption, alt texts. 201 with the post; 202 with the post in state
    "processing" when it has a video (it is published once transcoded)."""
    author = await current_user_id(request)   # before reading a single byte of the body
    with new_workdir() as workdir:
        upload = await receive(request, request.app[SETTINGS], workdir)
        post = await request.app[PUBLISHER].publish(author, caption=upload.caption, media_paths=upload.media_paths,
                                                alts=upload.alts, workdir=workdir)
    status = 202 if post.get("state") == "processing" else 201
    return json_response(request.app[MEDIA_URLS].render_one(post), status=status)


@describe(responses=schemas.responses({200: "Post"}, 404))
async def get_post(request: web.Request) -> web.Response:
    """A post, if the caller may see it (404 otherwise)."""
    viewer = await current_user_id(request)
    post = await request.app[HYDRATOR].one(post_id_param(request), viewer)
    if post is None:
        raise NotFound("No such post.", code="post_not_found")
    return json_response(request.app[MEDIA_URLS].render_one(post))


@describe(requestBody=schemas.json_body("CaptionPatch"),
          responses=schemas.responses({200: "Post"}, 400, 403, 404, 422))
async def edit_post(request: web.Request) -> web.Response:
    """Edit a post's caption (author only): hashtags recomputed, edited_at set, followers' live
    streams get a feed.update event."""
    actor = await current_user_id(request)
    post_id = post_id_param(request)
    caption = validation.caption_patch(await read_json(request))
    post = await request.app[POSTS].edit_caption(post_id, actor, caption)
    return json_response(request.app[MEDIA_URLS].render_one(post))


@describe(responses=schemas.responses({204: None}, 403, 404))
async def delete_post(request: web.Request) -> web.Response:
    """Delete a post and its media (author only)."""
    actor = await current_user_id(request)
    await request.app[POSTS].delete(post_id_param(request), actor)
    return no_content()


@describe(query=schemas.PAGING, responses=schemas.responses({200: "PostPage"}, 400, 403, 404, 422))
async def user_posts(request: web.Request) -> web.Response:
    """A user's posts, newest first."""
    viewer = await current_user_id(request)
    author_posts = request.app[AUTHOR_POSTS]
    author = await author_posts.author(username_param(request), viewer)
    return await paged(request, lambda before, limit: author_posts.page(author, viewer, before, limit),
                       key=lambda p: (p["id"],), render=request.app[MEDIA_URLS].render)


def setup(app: web.Application) -> None:
    app.router.add_post("/api/v1/posts", create_post)
    app.router.add_get("/api/v1/posts/{post_id}", get_post)
    app.router.add_patch("/api/v1/posts/{post_id}", edit_post)
    app.router.add_delete("/api/v1/posts/{post_id}", delete_post)
    app.router.add_get("/api/v1/users/{username}/posts", user_posts)
