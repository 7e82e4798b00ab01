"""Receiving a profile photo: one multipart part named ``avatar``, streamed to a temporary file
with the same per-file limit as post media, so a body is refused (413) as soon as it is known to
be too big and is never held in memory."""
from __future__ import annotations

import os

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

CHUNK = 256 * 1024
# Parts besides the photo that HTML forms may add (a submit button, a CSRF field): read, ignored.
MAX_PARTS = 4
FORM_OVERHEAD = 64 * 1024


def max_body_bytes(settings: Settings) -> int:
    return settings.media_max_bytes + FORM_OVERHEAD


def _too_large(settings: Settings) -> PayloadTooLarge:
    return PayloadTooLarge(f"A profile photo may be at most {settings.media_max_bytes // (1024 * 1024)} MB.",
                           code="media_too_large")


async def receive_avatar(request: web.Request, settings: Settings, workdir: str) -> str:
    """The path of the received photo in ``workdir``."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("A profile photo is uploaded as multipart/form-data.", code="multipart_required")
    if request.content_length is not None and request.content_length > max_body_bytes(settings):
        raise _too_large(settings)
    path = os.path.join(workdir, "avatar-upload")
    received = False
    parts = total = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS:
                raise ValidationFailed(f"A profile photo upload has at most {MAX_PARTS} form parts.",
                                       code="too_many_parts")
            if not isinstance(part, BodyPartReader):
                raise BadRequest("Nested multipart bodies are not accepted.", code="malformed_multipart")
            is_photo = part.name == "avatar"
            if is_photo and received:
                raise ValidationFailed("Send one photo (one part named 'avatar').", code="too_many_media")
            size = 0
            with open(path, "wb") if is_photo else open(os.devnull, "wb") as out:
                while chunk := await part.read_chunk(CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if (is_photo and size > settings.media_max_bytes) or total > max_body_bytes(settings):
                        raise _too_large(settings)
                    out.write(chunk)
            if is_photo:
                if size == 0:
                    raise ValidationFailed("The photo part is empty.", code="empty_media")
                received = True
    except (ValueError, AssertionError, BadHttpMessage):
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from None
    if not received:
        raise ValidationFailed("A profile photo is needed (a part named 'avatar').", code="media_required")
    return path
