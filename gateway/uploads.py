"""Receiving a post upload: multipart parts streamed to temporary files, limits enforced while
reading, so an oversized body is refused after at most one part's limit, never held in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from core import validation
from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

CHUNK = 256 * 1024
# Room for the caption, alt texts and multipart framing on top of the media themselves.
FORM_OVERHEAD = 256 * 1024
TEXT_PART_MAX_BYTES = 16 * 1024


@dataclass
class Upload:
    caption: str = ""
    media_paths: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)


async def _read_text(part: BodyPartReader, field_name: str) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        data += chunk
        if len(data) > TEXT_PART_MAX_BYTES:
            raise ValidationFailed(f"{field_name} is too long.")
    try:
        return data.decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise BadRequest(f"{field_name} is not valid UTF-8.") from None


async def receive(request: web.Request, settings: Settings, workdir: str) -> Upload:
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("Posts are uploaded as multipart/form-data.", code="multipart_required")
    limit = settings.media_max_bytes
    if request.content_length is not None and \
            request.content_length > settings.media_max_parts * limit + FORM_OVERHEAD:
        raise PayloadTooLarge(f"A post may carry at most {settings.media_max_parts} files of "
                              f"{limit // (1024 * 1024)} MB.", code="payload_too_large")
    upload = Upload()
    caption_seen = False
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequest("Nested multipart bodies are not accepted.", code="malformed_multipart")
            if part.name == "media":
                if len(upload.media_paths) >= settings.media_max_parts:
                    raise ValidationFailed(f"A post has at most {settings.media_max_parts} photos.",
                                           code="too_many_media")
                path = os.path.join(workdir, f"upload-{len(upload.media_paths)}")
                size = 0
                with open(path, "wb") as out:
                    while chunk := await part.read_chunk(CHUNK):
                        size += len(chunk)
                        if size > limit:
                            raise PayloadTooLarge(f"Each photo may be at most {limit // (1024 * 1024)} MB.",
                                                  code="media_too_large")
                        out.write(chunk)
                if size == 0:
                    raise ValidationFailed("A media part is empty.", code="empty_media")
                upload.media_paths.append(path)
            elif part.name == "caption":
                if caption_seen:
                    raise ValidationFailed("Only one caption per post.")
                caption_seen = True
                upload.caption = validation.caption(await _read_text(part, "caption"))
            elif part.name == "alt":
                upload.alts.append(validation.alt_text(await _read_text(part, "alt")))
            else:
                await part.release()   # unknown fields are ignored, as HTML forms expect
    except (ValueError, AssertionError):
        # aiohttp's multipart parser reports broken framing this way.
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from None
    if not upload.media_paths:
        raise ValidationFailed("A post needs at least one photo (a part named 'media').", code="media_required")
    if len(upload.alts) > len(upload.media_paths):
        raise ValidationFailed("There are more alt texts than photos.", code="too_many_alts")
    return upload
