"""Receiving a post upload: multipart parts streamed to temporary files, limits enforced while
reading, so an oversized body is refused after at most one part's limit, never held in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from core import validation
from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from media.detect import SNIFF_BYTES, sniff_video

CHUNK = 256 * 1024
# Room for the caption, alt texts and multipart framing on top of the media themselves.
FORM_OVERHEAD = 256 * 1024
TEXT_PART_MAX_BYTES = 16 * 1024
# Parts a post may have besides its photos: an alt text per photo, the caption, and a few that
# HTML forms add (a submit button, a CSRF field), which are read and ignored.
EXTRA_PARTS = 4


@dataclass
class Upload:
    caption: str = ""
    media_paths: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)


def max_parts(settings: Settings) -> int:
    """Every part of the biggest post: its photos, their alt texts, the caption and a few extra."""
    return 2 * settings.media_max_parts + EXTRA_PARTS


def max_body_bytes(settings: Settings) -> int:
    """A post's media together: ten photos at their limit, or one video at its own (with the
    defaults both are 100 MB, so one bound serves photo and video posts alike)."""
    return max(settings.media_max_parts * settings.media_max_bytes, settings.video_max_bytes) + FORM_OVERHEAD


class _Budget:
    """Parts and bytes of one body, counted while reading: a chunked body declares no length, so
    this is what bounds it (memory is bounded anyway: text parts are small, files go to disk)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.parts = self.bytes = 0

    def part(self) -> None:
        self.parts += 1
        if self.parts > max_parts(self.settings):
            raise ValidationFailed(f"A post has at most {max_parts(self.settings)} form parts.",
                                   code="too_many_parts")

    def take(self, size: int) -> None:
        self.bytes += size
        if self.bytes > max_body_bytes(self.settings):
            raise PayloadTooLarge(_too_large(self.settings), code="payload_too_large")


def _too_large(settings: Settings) -> str:
    return (f"A post may carry at most {settings.media_max_parts} photos of "
            f"{settings.media_max_bytes // (1024 * 1024)} MB, or "
            f"{(max_body_bytes(settings) - FORM_OVERHEAD) // (1024 * 1024)} MB of media in all.")


async def _read_text(part: BodyPartReader, field_name: str, budget: _Budget) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        budget.take(len(chunk))
        data += chunk
        if len(data) > TEXT_PART_MAX_BYTES:
            raise ValidationFailed(f"{field_name} is too long.")
    try:
        return data.decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise BadRequest(f"{field_name} is not valid UTF-8.") from None


async def save_media(part: BodyPartReader, path: str, settings: Settings, take: Callable[[int], None]) -> int:
    """A media part to disk, its size. Its limit is a photo's until its first bytes show a video
    container (the part's name and declared type prove nothing); the probe confirms what it really
    is. ``take`` counts every chunk against the whole body's budget (and raises past it)."""
    size = 0
    head = b""
    limit, what = settings.media_max_bytes, "photo"
    with open(path, "wb") as out:
        while chunk := await part.read_chunk(CHUNK):
            if len(head) < SNIFF_BYTES:
                head += chunk[:SNIFF_BYTES - len(head)]
                if len(head) >= SNIFF_BYTES and sniff_video(head) is not None:
                    limit, what = settings.video_max_bytes, "video"
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Each {what} may be at most {limit // (1024 * 1024)} MB.",
                                      code="media_too_large")
            take(len(chunk))
            out.write(chunk)
    return size


async def skip(part: BodyPartReader, take: Callable[[int], None]) -> None:
    """Unknown fields are ignored, as HTML forms expect, but their bytes still count."""
    while chunk := await part.read_chunk(CHUNK):
        take(len(chunk))


async def receive(request: web.Request, settings: Settings, workdir: str) -> Upload:
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("Posts are uploaded as multipart/form-data.", code="multipart_required")
    if request.content_length is not None and request.content_length > max_body_bytes(settings):
        raise PayloadTooLarge(_too_large(settings), code="payload_too_large")
    upload = Upload()
    budget = _Budget(settings)
    caption_seen = False
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            budget.part()
            if not isinstance(part, BodyPartReader):
                raise BadRequest("Nested multipart bodies are not accepted.", code="malformed_multipart")
            if part.name == "media":
                if len(upload.media_paths) >= settings.media_max_parts:
                    raise ValidationFailed(f"A post has at most {settings.media_max_parts} photos.",
                                           code="too_many_media")
                path = os.path.join(workdir, f"upload-{len(upload.media_paths)}")
                if await save_media(part, path, settings, budget.take) == 0:
                    raise ValidationFailed("A media part is empty.", code="empty_media")
                upload.media_paths.append(path)
            elif part.name == "caption":
                if caption_seen:
                    raise ValidationFailed("Only one caption per post.")
                caption_seen = True
                upload.caption = validation.caption(await _read_text(part, "caption", budget))
            elif part.name == "alt":
                if len(upload.alts) >= settings.media_max_parts:
                    raise ValidationFailed("There are more alt texts than photos.", code="too_many_alts")
                upload.alts.append(validation.alt_text(await _read_text(part, "alt", budget)))
            else:
                await skip(part, budget.take)
    except (ValueError, AssertionError, BadHttpMessage):
        # aiohttp's multipart parser reports broken framing (and too many or too long part
        # headers) this way.
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from None
    if not upload.media_paths:
        raise ValidationFailed("A post needs at least one photo (a part named 'media').", code="media_required")
    if len(upload.alts) > len(upload.media_paths):
        raise ValidationFailed("There are more alt texts than photos.", code="too_many_alts")
    return upload
