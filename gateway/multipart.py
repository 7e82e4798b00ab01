"""The one bounded multipart reader, configured per form (a v1 post's in gateway/routes/posts.py, the
shared profile and media forms in gateway/uploads.py).

A ``Form`` names the parts it takes (``Field``: a file streamed to disk, or a small text kept in
memory), how many of each, and how many bytes each and the whole body may have; every other part
is read and dropped (HTML forms add a submit button or a CSRF field). Limits are enforced while
reading: a chunked body declares no length, so counting is what bounds it, and a body is refused
after at most one part's limit, never held in memory.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Mapping

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from core.errors import BadRequest, PayloadTooLarge, RaygramError, UnsupportedMediaType, ValidationFailed
from media.detect import SNIFF_BYTES, sniff_video

CHUNK = 256 * 1024
TEXT_CHUNK = 8192
TEXT_MAX_BYTES = 16 * 1024
MB = 1024 * 1024

# A refusal, built when it is raised (an exception instance is never shared between requests).
Refusal = Callable[[], RaygramError]


def new_workdir() -> tempfile.TemporaryDirectory:
    """Where one upload's received files and processed variants live until it is answered."""
    return tempfile.TemporaryDirectory(prefix="raygram-upload-")


@dataclass(frozen=True)
class Field:
    """What a form takes under one part name."""
    file: bool = False
    max_count: int = 1
    too_many: Refusal | None = None     # past max_count; None: later parts are read and dropped
    max_bytes: int = TEXT_MAX_BYTES
    too_long: Refusal | None = None     # None: "Each photo may be at most ..." / "<name> is too long."
    video_max_bytes: int | None = None  # a file's limit once its first bytes show a video container
    empty: Refusal | None = None        # an empty file part refused so; None: it is not kept


@dataclass(frozen=True)
class Form:
    not_multipart: str                  # the 415's message
    max_parts: int
    too_many_parts: Refusal
    max_bytes: int                      # the whole body
    too_large: Refusal
    fields: Mapping[str, Field]
    other_text: Field | None = None     # other parts without a filename kept as text by this rule
    dropped: frozenset[str] = frozenset()    # names always dropped, filename or not
    drop_max_bytes: int | None = None   # each dropped part's own bound (too_large), besides the body's
    nested: Refusal = partial(BadRequest, "Nested multipart bodies are not accepted.", code="malformed_multipart")


@dataclass
class Received:
    files: dict[str, list[str]] = field(default_factory=dict)     # name -> saved paths, in order
    texts: dict[str, list[str]] = field(default_factory=dict)     # name -> values, in order


async def read_form(request: web.Request, form: Form, workdir: str) -> Received:
    """The form's files (saved in ``workdir``) and texts, every limit checked while reading."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(form.not_multipart, code="multipart_required")
    if request.content_length is not None and request.content_length > form.max_bytes:
        raise form.too_large()
    got, reading = Received(), _Reading(form)
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            reading.parts += 1
            if reading.parts > form.max_parts:
                raise form.too_many_parts()
            if not isinstance(part, BodyPartReader):
                raise form.nested()
            await reading.part(part, got, workdir)
    except (ValueError, AssertionError, BadHttpMessage):
        # aiohttp's multipart parser reports broken framing (and too many or too long part
        # headers) this way.
        raise BadRequest("The multipart body is malformed.", code="malformed_multipart") from None
    return got


class _Reading:
    """One body being read: its parts and bytes so far."""

    def __init__(self, form: Form) -> None:
        self.form, self.parts, self.bytes = form, 0, 0
        # A part the form does not take is read and dropped, but its bytes still count.
        self.dropping = Field(file=True, max_bytes=form.drop_max_bytes or form.max_bytes, too_long=form.too_large)

    def take(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.form.max_bytes:
            raise self.form.too_large()

    async def part(self, part: BodyPartReader, got: Received, workdir: str) -> None:
        name, form = part.name, self.form
        rule = form.fields.get(name or "")
        if rule is None and name not in form.dropped and part.filename is None:
            rule = form.other_text
        if rule is None:
            return await self._save(part, self.dropping, os.devnull)
        kept = (got.files if rule.file else got.texts).setdefault(name or "", [])
        if len(kept) >= rule.max_count:
            if rule.too_many is not None:
                raise rule.too_many()
            if rule.file:
                return await self._save(part, self.dropping, os.devnull)
            return await self._text(part, rule, None)      # within its limit, not decoded
        if not rule.file:
            return await self._text(part, rule, kept if name else None)
        path = os.path.join(workdir, f"{name}-{len(kept)}")
        if await self._save(part, rule, path):
            kept.append(path)
        elif rule.empty is not None:
            raise rule.empty()

    async def _save(self, part: BodyPartReader, rule: Field, path: str) -> int:
        """A file part to disk, its size. Its limit is a photo's until its first bytes show a video
        container (the part's name and declared type prove nothing); the probe confirms what it
        really is."""
        size, head = 0, b""
        limit, what = rule.max_bytes, "photo"
        with open(path, "wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                if rule.video_max_bytes is not None and len(head) < SNIFF_BYTES:
                    head += chunk[:SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES and sniff_video(head) is not None:
                        limit, what = rule.video_max_bytes, "video"
                size += len(chunk)
                if size > limit:
                    raise rule.too_long() if rule.too_long else PayloadTooLarge(
                        f"Each {what} may be at most {limit // MB} MB.", code="media_too_large")
                self.take(len(chunk))
                out.write(chunk)
        return size

    async def _text(self, part: BodyPartReader, rule: Field, kept: list[str] | None) -> None:
        data = bytearray()
        while chunk := await part.read_chunk(TEXT_CHUNK):
            self.take(len(chunk))
            data += chunk
            if len(data) > rule.max_bytes:
                raise rule.too_long() if rule.too_long else ValidationFailed(f"{part.name or 'A field'} is too long.")
        if kept is not None:
            try:
                kept.append(data.decode(part.get_charset(default="utf-8")))
            except (UnicodeDecodeError, LookupError):
                raise BadRequest(f"{part.name} is not valid UTF-8.") from None
