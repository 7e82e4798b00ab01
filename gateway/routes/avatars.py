"""Profile photos: set or remove the caller's (``PUT``/``DELETE /api/v1/me/avatar``), and every
account's photo served by the gateway at the path ``avatar_url`` names (public, immutable)."""
from __future__ import annotations

from aiohttp import web

from core.errors import NotFound
from core.ids import parse_id

from .. import schemas
from ..auth import current_user_id
from ..http import no_content
from ..keys import AVATARS, SETTINGS
from ..multipart import new_workdir
from ..openapi import describe
from ..uploads import receive_avatar
from ..views import user_view

CHUNK = 64 * 1024


@describe(requestBody=schemas.MULTIPART_AVATAR,
          responses=schemas.responses({200: "User"}, 400, 404, 413, 415, 422))
async def put_avatar(request: web.Request) -> web.Response:
    """Set the caller's profile photo (JPEG, PNG or GIF, 10 MB), processed like post media."""
    user_id = await current_user_id(request)     # before reading a single byte of the body
    with new_workdir() as workdir:
        path = await receive_avatar(request, request.app[SETTINGS], workdir)
        user = await request.app[AVATARS].set(user_id, path, workdir)
    return web.json_response(user_view(user))


@describe(responses=schemas.responses({204: None}, 404))
async def delete_avatar(request: web.Request) -> web.Response:
    """Remove the caller's profile photo (none already: nothing changes)."""
    user_id = await current_user_id(request)
    await request.app[AVATARS].remove(user_id)
    return no_content()


@describe(public=True, responses={"200": schemas.AVATAR_IMAGE, **schemas.responses({}, 404)})
async def get_avatar(request: web.Request) -> web.StreamResponse:
    """A profile photo (public: shown wherever the account's name is); the path never changes content."""
    avatar_id = parse_id(request.match_info["avatar_id"])
    if avatar_id is None:
        raise NotFound("No such profile photo.", code="avatar_not_found")
    length, stream = await request.app[AVATARS].open_photo(avatar_id, request.match_info["variant"])
    response = web.StreamResponse(headers={
        "Content-Type": "image/jpeg",       # every avatar variant is a JPEG (media/process.py)
        "Content-Length": str(length),
        # A new photo gets a new id, so what a path names never changes.
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    })
    async with stream as body:
        await response.prepare(request)
        while chunk := await body.read(CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response


def setup(app: web.Application) -> None:
    app.router.add_put("/api/v1/me/avatar", put_avatar)
    app.router.add_delete("/api/v1/me/avatar", delete_avatar)
    app.router.add_get("/avatars/{avatar_id}/{variant}", get_avatar)
