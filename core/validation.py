"""Validation of account input, per the contract (../shared/API.md, "Accounts and sessions")."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from .errors import BadRequest, InvalidCredentials, ValidationFailed

USERNAME_RE = re.compile(r"^[a-z0-9_.]{3,30}$")
PASSWORD_MIN = 8
# An upper bound keeps a multi-megabyte "password" from tying up a KDF thread.
PASSWORD_MAX = 256
DISPLAY_NAME_MAX = 64
BIO_MAX = 150
CAPTION_MAX = 2200
COMMENT_MAX = 2200
ALT_MAX = 1000


def normalize_username(raw: Any) -> str:
    """Usernames are case-insensitive: stored and compared in lower case."""
    if not isinstance(raw, str):
        raise ValidationFailed("username must be a string.", code="invalid_username")
    username = raw.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed("username must be 3-30 characters of a-z, 0-9, '_' and '.'.",
                               code="invalid_username")
    return username


def validate_password(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValidationFailed("password must be a string.", code="invalid_password")
    if not PASSWORD_MIN <= len(raw) <= PASSWORD_MAX:
        raise ValidationFailed(f"password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
                               code="invalid_password")
    return raw


def _clean_text(raw: Any, field: str, max_len: int, *, allow_empty: bool) -> str:
    if not isinstance(raw, str):
        raise ValidationFailed(f"{field} must be a string.")
    # NFC so that the same visible text has one length and one stored form; control characters
    # (other than newlines in a bio) have no place in profile text.
    text = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in text):
        raise ValidationFailed(f"{field} must not contain control characters.")
    if not text and not allow_empty:
        raise ValidationFailed(f"{field} must not be empty.")
    if len(text) > max_len:
        raise ValidationFailed(f"{field} must be at most {max_len} characters.")
    return text


def display_name(raw: Any) -> str:
    return _clean_text(raw, "display_name", DISPLAY_NAME_MAX, allow_empty=False).replace("\n", " ")


def profile_patch(body: Any) -> dict[str, Any]:
    """The fields of ``PATCH /me``; unknown fields are refused rather than silently dropped."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    allowed = {"display_name", "bio", "private"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationFailed(f"Unknown field(s): {', '.join(unknown)}.")
    patch: dict[str, Any] = {}
    if "display_name" in body:
        patch["display_name"] = display_name(body["display_name"])
    if "bio" in body:
        patch["bio"] = _clean_text(body["bio"], "bio", BIO_MAX, allow_empty=True)
    if "private" in body:
        if not isinstance(body["private"], bool):
            raise ValidationFailed("private must be true or false.")
        patch["private"] = body["private"]
    return patch


def credentials(body: Any, *, new_account: bool) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    for field in ("username", "password"):
        if field not in body:
            raise ValidationFailed(f"{field} is required.", code=f"invalid_{field}")
    if new_account:
        return normalize_username(body["username"]), validate_password(body["password"])
    username, password = body["username"], body["password"]
    if not isinstance(username, str) or not isinstance(password, str):
        raise ValidationFailed("username and password must be strings.")
    # At login, a username no account can have or a password no account can have is simply a
    # wrong login, refused before any Redis key is built or any hash computed from it.
    username = username.strip().lower()
    if not USERNAME_RE.match(username) or len(password) > PASSWORD_MAX:
        raise InvalidCredentials()
    return username, password


def caption(raw: str) -> str:
    return _clean_text(raw, "caption", CAPTION_MAX, allow_empty=True)


def caption_patch(body: Any) -> str:
    """The new caption of ``PATCH /api/v1/posts/{id}``: ``{"caption": ...}``, checked as at upload."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    if "caption" not in body:
        raise ValidationFailed("caption is required.", code="invalid_caption")
    return caption(body["caption"])


def password_confirmation(body: Any) -> str:
    """The password that confirms an account's deletion: ``{"password": ...}``."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise ValidationFailed("password is required.", code="invalid_password")
    return password


def alt_text(raw: str) -> str:
    return _clean_text(raw, "alt", ALT_MAX, allow_empty=True).replace("\n", " ")


def comment_text(body: Any) -> str:
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    if "text" not in body:
        raise ValidationFailed("text is required.", code="invalid_comment")
    text = _clean_text(body["text"], "text", COMMENT_MAX, allow_empty=True)
    if not text:
        raise ValidationFailed("A comment needs 1 to 2200 characters.", code="invalid_comment")
    return text
