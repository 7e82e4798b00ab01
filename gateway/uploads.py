"""The upload forms two routes share, each read by gateway/multipart.py within its own limits: a
profile form (v1 avatar, Mastodon credentials) and a Mastodon media upload (v1 and v2). A form only
one route reads is configured in that route (a v1 post: gateway/routes/posts.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from core import validation
from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, ValidationFailed

from .multipart import MB, Field, Form, read_form

# Room for the text fields and framing around a profile photo or a Mastodon media file.
FORM_OVERHEAD = 64 * 1024
# Parts of a v1 avatar form besides the photo that HTML forms may add: read, ignored.
PROFILE_PARTS = 4
# Mastodon's media form: the file, description, focus, thumbnail and a few more.
MEDIA_PARTS = 8
DESCRIPTION_MAX_BYTES = 8 * 1024


# --- a profile form ---------------------------------------------------------------------------

@dataclass
class ProfileForm:
    avatar_path: str | None = None
    fields: dict[str, str] = field(default_factory=dict)     # text parts, the first of each name


def profile_form(settings: Settings, max_parts: int, dropped_files: tuple[str, ...]) -> Form:
    """A photo in a part named ``avatar`` with the per-file limit of post media, and small text
    fields beside it (the Mastodon API sends the display name and note in the same form);
    ``dropped_files``: parts read within the same per-file limit and thrown away (a Mastodon
    app's ``header``), as is any other file part."""
    limit = settings.media_max_bytes
    too_large = partial(PayloadTooLarge, f"A profile photo may be at most {limit // MB} MB.", code="media_too_large")
    return Form(
        "A profile photo is uploaded as multipart/form-data.", max_parts,
        partial(ValidationFailed, f"A profile form has at most {max_parts} parts.", code="too_many_parts"),
        (1 + len(dropped_files)) * limit + FORM_OVERHEAD, too_large,
        {"avatar": Field(file=True, max_bytes=limit, too_long=too_large,
                         too_many=partial(ValidationFailed, "Send one photo (one part named 'avatar').",
                                          code="too_many_media"),
                         empty=partial(ValidationFailed, "The photo part is empty.", code="empty_media"))},
        other_text=Field(), dropped=frozenset(dropped_files), drop_max_bytes=limit)


async def receive_profile_form(request: web.Request, settings: Settings, workdir: str, *,
                               max_parts: int = PROFILE_PARTS, dropped_files: tuple[str, ...] = ()) -> ProfileForm:
    """The form's photo (saved in ``workdir``) and text fields."""
    got = await read_form(request, profile_form(settings, max_parts, dropped_files), workdir)
    return ProfileForm(next(iter(got.files.get("avatar", [])), None),
                       {name: values[0] for name, values in got.texts.items() if name and values})


async def receive_avatar(request: web.Request, settings: Settings, workdir: str) -> str:
    """The path of the received photo in ``workdir`` (the v1 ``PUT /api/v1/me/avatar``: a photo is
    required, other fields are ignored)."""
    form = await receive_profile_form(request, settings, workdir)
    if form.avatar_path is None:
        raise ValidationFailed("A profile photo is needed (a part named 'avatar').", code="media_required")
    return form.avatar_path


# --- a Mastodon media upload ------------------------------------------------------------------

def media_form(settings: Settings) -> Form:
    """``file`` within a photo's size limit, or a video's once its first bytes show a video
    container; ``description`` bounded (the last one counts, as in Mastodon); other parts (focus,
    thumbnail) dropped; a second file too."""
    unexpected = partial(BadRequest, "Unexpected form parts.", code="malformed_multipart")
    return Form(
        "Media are uploaded as multipart/form-data.", MEDIA_PARTS, unexpected,
        max(settings.media_max_bytes, settings.video_max_bytes) + FORM_OVERHEAD,
        partial(PayloadTooLarge, f"A photo may be at most {settings.media_max_bytes // MB} MB and a video "
                f"{settings.video_max_bytes // MB} MB.", code="media_too_large"),
        {"file": Field(file=True, max_bytes=settings.media_max_bytes, video_max_bytes=settings.video_max_bytes),
         "description": Field(max_count=MEDIA_PARTS, max_bytes=DESCRIPTION_MAX_BYTES,
                              too_long=partial(ValidationFailed, "description is too long.",
                                               code="invalid_description"))},
        nested=unexpected)


async def receive_media(request: web.Request, settings: Settings, workdir: str) -> tuple[str, str]:
    """(the received file's path, its description)."""
    got = await read_form(request, media_form(settings), workdir)
    if not got.files.get("file"):
        raise ValidationFailed("A non-empty part named 'file' is required.", code="media_required")
    return got.files["file"][0], validation.alt_text(got.texts.get("description", [""])[-1])
