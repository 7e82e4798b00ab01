"""The upload forms, each read by gateway/multipart.py within its own limits: a v1 post, a profile
form (v1 avatar, Mastodon credentials) and a Mastodon media upload."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from core import validation
from core.config import Settings
from core.errors import BadRequest, PayloadTooLarge, ValidationFailed

from .multipart import MB, Field, Form, read_form

# Room for the caption, alt texts and multipart framing on top of a post's media.
POST_OVERHEAD = 256 * 1024
# Parts a post may have besides its photos: an alt text per photo, the caption, and a few that
# HTML forms add (a submit button, a CSRF field), which are read and ignored.
EXTRA_PARTS = 4
# Room for the text fields and framing around a profile photo or a Mastodon media file.
FORM_OVERHEAD = 64 * 1024
# Parts of a v1 avatar form besides the photo that HTML forms may add: read, ignored.
PROFILE_PARTS = 4
# Mastodon's media form: the file, description, focus, thumbnail and a few more.
MEDIA_PARTS = 8
DESCRIPTION_MAX_BYTES = 8 * 1024


# --- a v1 post --------------------------------------------------------------------------------

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


async def receive(request: web.Request, settings: Settings, workdir: str) -> Upload:
    got = await read_form(request, post_form(settings), workdir)
    upload = Upload(validation.caption(got.texts.get("caption", [""])[0]), got.files.get("media", []),
                    [validation.alt_text(alt) for alt in got.texts.get("alt", [])])
    if not upload.media_paths:
        raise ValidationFailed("A post needs at least one photo (a part named 'media').", code="media_required")
    if len(upload.alts) > len(upload.media_paths):
        raise ValidationFailed("There are more alt texts than photos.", code="too_many_alts")
    return upload


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
