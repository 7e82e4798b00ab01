"""Posts and media: upload, read, delete, and an author's posts."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from core import validation
from core.config import Settings
from core.errors import NotFound, PayloadTooLarge, ValidationFailed

from .. import schemas
from ..auth import current_user_id
from ..http import id_param, json_response, no_content, paged, read_json
from ..keys import AUTHOR_POSTS, HYDRATOR, MEDIA_URLS, POSTS, PUBLISHER, SETTINGS
from ..multipart import MB, Field, Form, new_workdir, read_form
from ..openapi import Routes
from .social import username_param

# Each handler declares its route and OpenAPI fields on the table; setup() adds it.
routes = Routes()


# The post form, read by the one multipart reader (gateway/multipart.py) within these limits.
# Room for the caption, alt texts and multipart framing on top of a post's media.
POST_OVERHEAD = 256 * 1024
# Parts a post may have besides its photos: an alt text per photo, the caption, and a few that
# HTML forms add (a submit button, a CSRF field), which are read and ignored.
EXTRA_PARTS = 4


@dataclass
class Upload:
    caption: str = ""
    media_paths: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)


def max_body_bytes(settings: Settings) -> int:
    """A post's media together: ten photos at their limit, or one video at its own (with the
    defaults both are 100 MB, so one bound serves photo and video posts alike)."""
    return max(settings.media_max_parts * settings.media_max_bytes, settings.video_max_bytes) + POST_OVERHEAD


def post_form(settings: Settings) -> Form:
    n, parts = settings.media_max_parts, 2 * settings.media_max_parts + EXTRA_PARTS
    return Form(
        "Posts are uploaded as multipart/form-data.", parts,
        partial(ValidationFailed, f"A post has at most {parts} form parts.", code="too_many_parts"),
        max_body_bytes(settings),
        partial(PayloadTooLarge, f"A post may carry at most {n} photos of {settings.media_max_bytes // MB} MB, or "
                f"{(max_body_bytes(settings) - POST_OVERHEAD) // MB} MB of media in all.", code="payload_too_large"),
        {"media": Field(file=True, max_count=n, max_bytes=settings.media_max_bytes,
                        video_max_bytes=settings.video_max_bytes,
                        too_many=partial(ValidationFailed, f"A post has at most {n} photos.", code="too_many_media"),
                        empty=partial(ValidationFailed, "A media part is empty.", code="empty_media")),
         "caption": Field(too_many=partial(ValidationFailed, "Only one caption per post.")),
         "alt": Field(max_count=n, too_many=partial(ValidationFailed, "There are more alt texts than photos.",
                                                    code="too_many_alts"))})


async def receive_post(request: web.Request, settings: Settings, workdir: str) -> Upload:
    """The post form's media (saved in ``workdir``), caption and alt texts, validated."""
    got = await read_form(request, post_form(settings), workdir)
    upload = Upload(validation.caption(got.texts.get("caption", [""])[0]), got.files.get("media", []),
                    [validation.alt_text(alt) for alt in got.texts.get("alt", [])])
    if not upload.media_paths:
        raise ValidationFailed("A post needs at least one photo (a part named 'media').", code="media_required")
    if len(upload.alts) > len(upload.media_paths):
        raise ValidationFailed("There are more alt texts than photos.", code="too_many_alts")
    return upload


def post_id_param(request: web.Request) -> int:
    return id_param(request, "post_id", "post")


@routes.op("POST", "/api/v1/posts", requestBody=schemas.MULTIPART_POST,
                                    responses=schemas.responses({201: "Post", 202: "Post"}, 400, 413, 415, 422, 429))
async def create_post(request: web.Request) -> web.Response:
    """Upload a post: 1-10 photos (JPEG, PNG or GIF, 10 MB each) or videos (MP4, MOV or WebM, 100 MB
    each, at most 3 minutes), a caption, alt texts. 201 with the post; 202 with the post in state
    "processing" when it has a video (it is published once transcoded)."""
    author = await current_user_id(request)   # before reading a single byte of the body
    with new_workdir() as workdir:
        upload = await receive_post(request, request.app[SETTINGS], workdir)
        post = await request.app[PUBLISHER].publish(author, caption=upload.caption, media_paths=upload.media_paths,
                                                alts=upload.alts, workdir=workdir)
    status = 202 if post.get("state") == "processing" else 201
    return json_response(request.app[MEDIA_URLS].render_one(post), status=status)


@routes.op("GET", "/api/v1/posts/{post_id}", responses=schemas.responses({200: "Post"}, 404))
async def get_post(request: web.Request) -> web.Response:
    """A post, if the caller may see it (404 otherwise)."""
    viewer = await current_user_id(request)
    post = await request.app[HYDRATOR].one(post_id_param(request), viewer)
    if post is None:
        raise NotFound("No such post.", code="post_not_found")
    return json_response(request.app[MEDIA_URLS].render_one(post))


@routes.op("PATCH", "/api/v1/posts/{post_id}", requestBody=schemas.json_body("CaptionPatch"),
                                               responses=schemas.responses({200: "Post"}, 400, 403, 404, 422))
async def edit_post(request: web.Request) -> web.Response:
    """Edit a post's caption (author only): hashtags recomputed, edited_at set, followers' live
    streams get a feed.update event."""
    actor = await current_user_id(request)
    post_id = post_id_param(request)
    caption = validation.caption_patch(await read_json(request))
    post = await request.app[POSTS].edit_caption(post_id, actor, caption)
    return json_response(request.app[MEDIA_URLS].render_one(post))


@routes.op("DELETE", "/api/v1/posts/{post_id}", responses=schemas.responses({204: None}, 403, 404))
async def delete_post(request: web.Request) -> web.Response:
    """Delete a post and its media (author only)."""
    actor = await current_user_id(request)
    await request.app[POSTS].delete(post_id_param(request), actor)
    return no_content()


@routes.op("GET", "/api/v1/users/{username}/posts",
           query=schemas.PAGING, responses=schemas.responses({200: "PostPage"}, 400, 403, 404, 422))
async def user_posts(request: web.Request) -> web.Response:
    """A user's posts, newest first."""
    viewer = await current_user_id(request)
    username, author_posts = username_param(request), request.app[AUTHOR_POSTS]
    return await paged(request, lambda before, limit: author_posts.page(username, viewer, before, limit),
                       key=lambda p: (p["id"],), render=request.app[MEDIA_URLS].render)


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
