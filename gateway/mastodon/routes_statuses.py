"""Statuses (posts, and comments as their replies), media uploaded before the status, favourites,
and the home and hashtag timelines."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from core import validation
from core.errors import NotFound, ValidationFailed
from core.ids import parse_id
from gateway.multipart import new_workdir
from gateway.uploads import receive_media
from gateway.views import rfc3339
from gateway.keys import ENGAGEMENT, HOME_FEED, NEO4J, POSTS, PUBLISHER, SAVED, SEARCH_READS, SETTINGS
from graph import engagement, mastodon_reads, posts as graph_posts, staged_media

from . import entities, paging
from .auth import user_id
from .http import base_url, encoded_page_response, many, page_response, params, path_id
from .keys import IDEMPOTENCY, MEDIA_LIBRARY, PRESENTER
from .status_memo import json_list

# Candidates read for a min_id / since_id page (newer than an id): clients poll with these for
# what arrived since their newest item, rarely more than a page.
NEWER_WINDOW = 100
# A context lists at most this many replies (Mastodon caps descendants too).
MAX_DESCENDANTS = 200


# --- statuses ---------------------------------------------------------------------------------

async def _find(request: web.Request, viewer: int, status_id: int) -> tuple[dict | None, dict | None]:
    """(the post, None) or (None, the comment) the viewer may see; NotFound otherwise."""
    driver = request.app[NEO4J]
    post = await graph_posts.get_visible(driver, status_id, viewer)
    if post is not None:
        return post, None
    comment = (await mastodon_reads.visible_comments(driver, viewer, [status_id])).get(status_id)
    if comment is None:
        raise NotFound("Record not found")
    return None, comment


async def _render(request: web.Request, post: dict | None, comment: dict | None,
                  viewer: int | None = None) -> dict[str, Any]:
    presenter, base = request.app[PRESENTER], base_url(request)
    if post is not None:
        return (await presenter.statuses([post], base, viewer))[0]
    return (await presenter.comments([comment], base))[0]


async def _status(request: web.Request, viewer: int, status_id: int) -> dict[str, Any]:
    return await _render(request, *await _find(request, viewer, status_id), viewer)


async def create_status(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:statuses")
    values = await params(request)
    key = request.headers.get("Idempotency-Key")
    if key:
        earlier = await request.app[IDEMPOTENCY].created(viewer, key[:512])
        if earlier is not None:
            return web.json_response(await _status(request, viewer, earlier))
    text = values.get("status") or ""
    reply_to = values.get("in_reply_to_id")
    if reply_to:
        target = parse_id(reply_to)
        if target is None:
            raise NotFound("Record not found")
        post, comment = await _find(request, viewer, target)
        post_id = post["id"] if post is not None else comment["post_id"]
        created = await request.app[ENGAGEMENT].comment(viewer, post_id, validation.comment_text({"text": text}))
        found = await mastodon_reads.visible_comments(request.app[NEO4J], viewer, [created["id"]])
        body = (await request.app[PRESENTER].comments(list(found.values()), base_url(request)))[0]
    else:
        ids = [parse_id(i) for i in many(values, "media_ids")]
        if any(i is None for i in ids) or len(set(ids)) != len(ids):
            raise ValidationFailed("media_ids must be distinct media ids.", code="invalid_media_ids")
        limit = request.app[SETTINGS].media_max_parts
        if not 1 <= len(ids) <= limit:
            # A Raygram post is photos or videos with a caption: no media, no post (a text status is a reply).
            raise ValidationFailed(f"A post needs 1 to {limit} photos or videos (media_ids).", code="media_required")
        post = await request.app[PUBLISHER].publish_staged(viewer, caption=validation.caption(text), media_ids=ids)
        body = (await request.app[PRESENTER].statuses([post], base_url(request)))[0]
    if key:
        await request.app[IDEMPOTENCY].remember(viewer, key[:512], int(body["id"]))
    return web.json_response(body)


async def get_status(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    return web.json_response(await _status(request, viewer, path_id(request)))


async def delete_status(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:statuses")
    post, comment = await _find(request, viewer, path_id(request))
    body = await _render(request, post, comment)
    if post is not None:
        await request.app[POSTS].delete(post["id"], viewer)
    else:
        await request.app[ENGAGEMENT].delete_comment(viewer, comment["post_id"], comment["id"])
    return web.json_response(body)


async def update_status(request: web.Request) -> web.Response:
    """Editing a status changes a post's caption (its media stay as they are); a reply cannot be
    edited here (422)."""
    viewer = await user_id(request, "write:statuses")
    values = await params(request)
    post, _ = await _find(request, viewer, path_id(request))
    if post is None:
        raise ValidationFailed("Only posts can be edited; this is a reply.", code="not_a_post")
    if "status" not in values:
        raise ValidationFailed("status is required.", code="invalid_caption")
    edited = await request.app[POSTS].edit_caption(post["id"], viewer, validation.caption(values.get("status") or ""))
    return web.json_response(await _render(request, edited, None, viewer))


async def status_history(request: web.Request) -> web.Response:
    """The StatusEdit list, oldest first: every caption a post has had, the current one last."""
    viewer = await user_id(request, "read:statuses")
    status_id = path_id(request)
    found = await graph_posts.caption_history(request.app[NEO4J], status_id, viewer)
    if found is None:
        _, comment = await _find(request, viewer, status_id)
        current = await _render(request, None, comment)
        return web.json_response([entities.status_edit(current, current["text"], current["created_at"],
                                                        base_url(request))])
    current = await _render(request, found["post"], None)
    return web.json_response([entities.status_edit(current, caption, rfc3339(at), base_url(request))
                              for caption, at in found["versions"]])


async def context(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    post, comment = await _find(request, viewer, path_id(request))
    driver, presenter, base = request.app[NEO4J], request.app[PRESENTER], base_url(request)
    if post is None:
        parent = await graph_posts.get_visible(driver, comment["post_id"], viewer)
        return web.json_response({"ancestors": await presenter.statuses([parent] if parent else [], base),
                                  "descendants": []})
    rows = await mastodon_reads.post_comments(driver, post["id"], MAX_DESCENDANTS)
    found = await mastodon_reads.visible_comments(driver, viewer, [c["id"] for c in rows])
    replies = await presenter.comments([found[c["id"]] for c in rows if c["id"] in found], base)
    return web.json_response({"ancestors": [], "descendants": replies})


async def _post_only(request: web.Request, viewer: int) -> int:
    post, _ = await _find(request, viewer, path_id(request))
    if post is None:
        raise ValidationFailed("Only posts can be favourited; this is a reply.", code="not_a_post")
    return post["id"]


async def favourite(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:favourites")
    post_id = await _post_only(request, viewer)
    await request.app[ENGAGEMENT].like(viewer, post_id)
    return web.json_response(await _status(request, viewer, post_id))


async def unfavourite(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:favourites")
    post_id = await _post_only(request, viewer)
    await request.app[ENGAGEMENT].unlike(viewer, post_id)
    return web.json_response(await _status(request, viewer, post_id))


async def _bookmark(request: web.Request, save: bool) -> web.Response:
    viewer = await user_id(request, "write:bookmarks")
    post_id = await _post_only(request, viewer)
    await (request.app[SAVED].save if save else request.app[SAVED].unsave)(viewer, post_id)
    return web.json_response(await _status(request, viewer, post_id))


async def bookmark(request: web.Request) -> web.Response:
    return await _bookmark(request, True)


async def unbookmark(request: web.Request) -> web.Response:
    return await _bookmark(request, False)


async def bookmarks(request: web.Request) -> web.Response:
    """The caller's saved posts, newest saved first, paged by save (Link headers)."""
    viewer = await user_id(request, "read:bookmarks")
    page = paging.parse(request.query, max_limit=40)
    rows = await request.app[SAVED].page_with_saves(viewer, page.max_id, page.limit)
    statuses = await request.app[PRESENTER].statuses([post for _, post in rows], base_url(request), viewer)
    return page_response(request, statuses, [str(save_id) for save_id, _ in rows])


async def favourited_by(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:accounts")
    post_id = path_id(request)
    driver = request.app[NEO4J]
    await engagement.ensure_visible(driver, viewer, post_id)
    page = paging.parse(request.query)
    rows = (await engagement.likers_page(driver, post_id, page.max_id, page.limit, viewer))[:page.limit]
    base = base_url(request)
    return page_response(request, [entities.account(u, base) for u in rows], [str(u["_edge_id"]) for u in rows])


# --- media ------------------------------------------------------------------------------------

async def _upload(request: web.Request) -> tuple[int, dict]:
    viewer = await user_id(request, "write:media")
    with new_workdir() as workdir:
        path, description = await receive_media(request, request.app[SETTINGS], workdir)
        media = await request.app[MEDIA_LIBRARY].upload(viewer, path, description, workdir)
    return viewer, media


async def upload_media(request: web.Request) -> web.Response:
    """v2: a photo is processed before the answer (200); a video is transcoded in the background:
    202 with ``url: null``, then the client polls GET /api/v1/media/:id."""
    _, media = await _upload(request)
    status = 202 if media.get("state") == "processing" else 200
    return web.json_response(await request.app[PRESENTER].media(media, base_url(request)), status=status)


async def upload_media_v1(request: web.Request) -> web.Response:
    """v1 (deprecated) answers once the media is processed, a video too (Mastodon's v1 waits)."""
    viewer, media = await _upload(request)
    if media.get("state") == "processing":
        media = await request.app[MEDIA_LIBRARY].settled(viewer, int(media["id"])) or media
    return web.json_response(await request.app[PRESENTER].media(media, base_url(request)))


async def get_media(request: web.Request) -> web.Response:
    """200 once processed, 206 (the attachment, ``url: null``) while a video is transcoded, 422
    when its transcode failed. Scope ``write:media``, as Mastodon's (whoever uploads may poll)."""
    viewer = await user_id(request, "write:media")
    media = await staged_media.owned(request.app[NEO4J], viewer, path_id(request))
    if media is None:
        raise NotFound("Record not found")
    if media.get("state") == "failed":
        raise ValidationFailed(media.get("failure_message") or "The video could not be processed.",
                               code=media.get("failure_code") or "transcode_failed")
    status = 206 if media.get("state") == "processing" else 200
    return web.json_response(await request.app[PRESENTER].media(media, base_url(request)), status=status)


async def update_media(request: web.Request) -> web.Response:
    viewer = await user_id(request, "write:media")
    values = await params(request)
    media_id = path_id(request)
    media = await staged_media.owned(request.app[NEO4J], viewer, media_id)
    if media is None:
        raise NotFound("Record not found")
    if values.get("description") is not None:
        media = await request.app[MEDIA_LIBRARY].describe(viewer, media_id, validation.alt_text(values["description"]))
        if media is None:
            raise ValidationFailed("This media is already part of a post.", code="media_posted")
    return web.json_response(await request.app[PRESENTER].media(media, base_url(request)))


# --- timelines --------------------------------------------------------------------------------

async def home(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    page = paging.parse(request.query)
    feed = request.app[HOME_FEED]
    # The page's accounts and the viewer's bookmarks are read in the pipeline that hydrates it.
    reads = request.app[PRESENTER].page_reads(viewer)
    if page.lower is not None:
        items, _, replies = await feed.recent_with(viewer, None, NEWER_WINDOW, reads.queue)
    else:
        items, _, replies = await feed.recent_with(viewer, page.max_id, page.limit, reads.queue)
    wanted = set(paging.window([p["id"] for p in items], page))
    chosen = [p for p in items if p["id"] in wanted]
    encoded = await reads.encoded(chosen, base_url(request), replies)
    return encoded_page_response(request, json_list(encoded), [status_id for status_id, _ in encoded])


async def tag_timeline(request: web.Request) -> web.Response:
    viewer = await user_id(request, "read:statuses")
    tag = request.match_info["hashtag"].lstrip("#").casefold()
    if not (0 < len(tag) <= 100):
        return web.json_response([])
    page = paging.parse(request.query)
    reads = request.app[SEARCH_READS]
    if page.lower is not None:
        items, _ = await reads.hashtag(viewer, tag, NEWER_WINDOW, None)
    else:
        items, _ = await reads.hashtag(viewer, tag, page.limit, (page.max_id,) if page.max_id is not None else None)
    wanted = set(paging.window([p["id"] for p in items], page))
    chosen = [p for p in items if p["id"] in wanted]
    return page_response(request, await request.app[PRESENTER].statuses(chosen, base_url(request)))


async def public_timeline(request: web.Request) -> web.Response:
    # Raygram has no public firehose: what an account sees is who it follows (and hashtags).
    await user_id(request, "read:statuses")
    return web.json_response([])


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/statuses", create_status)
    r.add_get("/api/v1/statuses/{id}", get_status)
    r.add_delete("/api/v1/statuses/{id}", delete_status)
    r.add_put("/api/v1/statuses/{id}", update_status)
    r.add_get("/api/v1/statuses/{id}/history", status_history)
    r.add_get("/api/v1/statuses/{id}/context", context)
    r.add_post("/api/v1/statuses/{id}/favourite", favourite)
    r.add_post("/api/v1/statuses/{id}/unfavourite", unfavourite)
    r.add_get("/api/v1/statuses/{id}/favourited_by", favourited_by)
    r.add_post("/api/v1/statuses/{id}/bookmark", bookmark)
    r.add_post("/api/v1/statuses/{id}/unbookmark", unbookmark)
    r.add_get("/api/v1/bookmarks", bookmarks)
    r.add_post("/api/v1/media", upload_media_v1)
    r.add_post("/api/v2/media", upload_media)
    r.add_get("/api/v1/media/{id}", get_media)
    r.add_put("/api/v1/media/{id}", update_media)
    r.add_get("/api/v1/timelines/home", home)
    r.add_get("/api/v1/timelines/tag/{hashtag}", tag_timeline)
    r.add_get("/api/v1/timelines/public", public_timeline)
