"""Receiving a profile form: a photo in a part named ``avatar``, streamed to a temporary file with
the same per-file limit as post media, and small text fields beside it (the Mastodon API sends the
display name and note in the same form). A body is refused (413) as soon as it is known to be too
big, and is never held in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

CHUNK = 256 * 1024
# Parts besides the photo that HTML forms may add (a submit button, a CSRF field): read, ignored.
MAX_PARTS = 4
FORM_OVERHEAD = 64 * 1024
TEXT_PART_MAX_BYTES = 16 * 1024
AVATAR = "avatar"


@dataclass
class ProfileForm:
    avatar_path: str | None = None
    fields: dict[str, str] = field(default_factory=dict)     # text parts, the first of each name


def max_body_bytes(settings: Settings, photos: int = 1) -> int:
    return photos * settings.media_max_bytes + FORM_OVERHEAD


def _too_large(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(f"A profile photo may be at most {settings.media_max_bytes // (1024 * 1024)} MB.",
                           code="media_too_large")


async def receive_profile_form(request: web.Request, settings: Settings, workdir: str, *, max_parts: int = MAX_PARTS,
                               dropped_files: tuple[str, ...] = ()) -> ProfileForm:
    """The form's photo (saved in ``workdir``) and text fields. ``dropped_files``: file parts of
    other names read within the same per-file limit and thrown away (a Mastodon app's ``header``)."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("A profile photo is uploaded as multipart/form-data.", code="multipart_required")
    body_limit = max_body_bytes(settings, 1 + len(dropped_files))
    if request.content_length is not None and request.content_length > body_limit:
        raise _too_large(settings)
    form = ProfileForm()
    path = os.path.join(workdir, "avatar-upload")
    parts = total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > max_parts:
                raise ValidationFailed(f"A profile form has at most {max_parts} parts.", code="too_many_parts")
            if not isinstance(part, BodyPartReader):
                raise BadRequest("Nested multipart bodies are not accepted.", code="malformed_multipart")
            is_photo = part.name == AVATAR
            if is_photo and form.avatar_path is not None:
                raise ValidationFailed("Send one photo (one part named 'avatar').", code="too_many_media")
            is_text = not is_photo and part.filename is None and part.name not in dropped_files
            size, text = 0, bytearray()
            with open(path, "wb") if is_photo else open(os.devnull, "wb") as out:
                while chunk := await part.read_chunk(CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if total > body_limit or (not is_text and size > settings.media_max_bytes):
                        raise _too_large(settings)
                    if is_text:
                        text += chunk
                        if len(text) > TEXT_PART_MAX_BYTES:
                            raise ValidationFailed(f"{part.name or 'A field'} is too long.")
                    else:
                        out.write(chunk)
            if is_photo:
                if size == 0:
                    raise ValidationFailed("The photo part is empty.", code="empty_media")
                form.avatar_path = path
            elif is_text and part.name and part.name not in form.fields:
                try:
                    form.fields[part.name] = text.decode(part.get_charset(default="utf-8"))
                except (UnicodeDecodeError, LookupError):
                    raise BadRequest(f"{part.name} is not valid UTF-8.") from None
    except (ValueError, AssertionError, BadHttpMessage):
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from None
    return form


async def receive_avatar(request: web.Request, settings: Settings, workdir: str) -> str:
    """The path of the received photo in ``workdir`` (the v1 ``PUT /api/v1/me/avatar``: a photo is
    required, other fields are ignored)."""
    form = await receive_profile_form(request, settings, workdir)
    if form.avatar_path is None:
        raise ValidationFailed("A profile photo is needed (a part named 'avatar').", code="media_required")
    return form.avatar_path
