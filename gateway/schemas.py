"""The JSON Schemas of the public contract (../shared/API.md), for the OpenAPI document.

These are the contract a fuzzer holds the server to (tests/integration/test_api_fuzz.py): every
response body validates against its schema (so a field renamed, dropped or turned null in
gateway/views.py is caught), and every parameter and body schema says exactly what the server
accepts (so data valid here is never refused as malformed, and data invalid here never accepted).
Where the server forgives (surrounding whitespace, upper-case usernames) the patterns say so.

Patterns are read by Python's ``re`` (the generator) and by Rust's fancy-regex (the validator):
they use only what both read alike (lookahead, no lookbehind, no ``\\p{..}``; ``[\\s\\S]`` for any
character, but never ``\\s`` for whitespace: see ``WHITESPACE``).
"""
from __future__ import annotations

import sys
from typing import Any

from core import cursors, validation
from media.hashtags import MAX_HASHTAGS
from search.queries import MAX_QUERY_CHARS

Schema = dict[str, Any]

INT64_MAX = 2**63 - 1


def _decimal_at_most(limit: str) -> str:
    """A regex alternation matching the decimal numerals with len(limit) digits that are <= limit."""
    alternatives = [limit]
    for i, digit in enumerate(limit):
        if digit != "0":
            rest = len(limit) - i - 1
            alternatives.append(limit[:i] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "|".join(alternatives)


# An id as the server parses it (core/ids.py parse_id): 1-19 ASCII digits, within int64.
_INT64_DECIMAL = f"[0-9]{{1,18}}|{_decimal_at_most(str(INT64_MAX))}"
ID_PATTERN = f"^(?:{_INT64_DECIMAL})$"
ID: Schema = {"type": "string", "pattern": ID_PATTERN, "description": "64-bit id as a decimal string"}
# Ids the server renders: never padded, so the plain digit pattern is enough to catch drift.
ID_OUT: Schema = {"type": "string", "pattern": "^[0-9]{1,19}$"}
USERNAME_OUT: Schema = {"type": "string", "pattern": validation.USERNAME_RE.pattern}
TIME: Schema = {"type": "string", "format": "date-time"}
COUNT: Schema = {"type": "integer", "minimum": 0}
URL_OR_NULL: Schema = {"type": ["string", "null"]}

# Exactly the characters of Python's str.isspace (what str.strip removes), as literals: each regex
# engine has its own \s (Python's counts \x1c-\x1f and \x85, ECMA's and so the validator's do
# not, and ECMA's counts \ufeff), so no pattern here uses \s for whitespace.
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_WS = WHITESPACE
# Control characters (Unicode Cc) are refused inside profile text; a newline is allowed, and
# whitespace around the text is stripped before lengths are counted.
_CC = "\\x00-\\x1f\\x7f-\\x9f"
_CC_BUT_NEWLINE = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f"


def _text(max_len: int, *, allow_empty: bool) -> Schema:
    """Free text as core.validation._clean_text accepts it: stripped, then 0 (or 1) to max_len
    characters with no control character but newlines."""
    edge = f"[^{_WS}{_CC}]"
    inner = f"{edge}(?:[^{_CC_BUT_NEWLINE}]{{0,{max_len - 2}}}{edge})?"
    body = f"(?:{inner})?" if allow_empty else inner
    return {"type": "string", "pattern": f"^[{_WS}]*{body}[{_WS}]*$"}


# Usernames are case-insensitive and stored in lower case; surrounding whitespace is dropped.
USERNAME_IN: Schema = {"type": "string", "pattern": f"^[{_WS}]*[A-Za-z0-9_.]{{3,30}}[{_WS}]*$",
                       "description": "3-30 of a-z, 0-9, '_' and '.'; case-insensitive"}
USERNAME_PATH: Schema = {"type": "string", "pattern": validation.USERNAME_RE.pattern}
PASSWORD: Schema = {"type": "string", "minLength": validation.PASSWORD_MIN, "maxLength": validation.PASSWORD_MAX}
DISPLAY_NAME = _text(validation.DISPLAY_NAME_MAX, allow_empty=False)
BIO = _text(validation.BIO_MAX, allow_empty=True)
COMMENT_TEXT = _text(validation.COMMENT_MAX, allow_empty=False)
CAPTION = _text(validation.CAPTION_MAX, allow_empty=True)
ALT = _text(validation.ALT_MAX, allow_empty=True)


def _numeric_word_characters() -> str:
    """A character class body (literal ranges) of what Python's \\w takes for a word character
    but str.isalpha not for a letter (superscripts, fractions, Roman numerals, ...), computed from
    the running Python's Unicode tables, which are the ones media/hashtags.py applies."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isalnum() and not char.isalpha() and not char.isdecimal():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


# A hashtag (media/hashtags.py): 1-100 word characters, at least one a letter; '#' in front optional.
# (Rust's \w leaves the numeric ones out, so they are named wherever \w is meant.)
_NUMERIC = _numeric_word_characters()
TAG: Schema = {"type": "string",
               "pattern": f"^#*(?=[\\w{_NUMERIC}]{{1,100}}$)[\\d_{_NUMERIC}]*"
                          f"(?![{_NUMERIC}])[^\\W\\d_][\\w{_NUMERIC}]*$"}

# Path parameters by name: every one the router declares must be here (build_spec refuses others).
PATH_PARAMETERS: dict[str, Schema] = {
    "post_id": ID,
    "comment_id": ID,
    "username": USERNAME_PATH,
    "tag": TAG,
    "avatar_id": ID,
    "variant": {"type": "string", "pattern": "^(thumb|small|medium)$",
                "description": "thumb: a 150 px square; small: 320 px; medium: 1080 px on the long side"},
}

# Query parameters.
# An empty value (as an HTML form sends) means the default, like an absent one.
LIMIT: Schema = {"name": "limit", "in": "query", "description": "page size (empty: the default)",
                 "schema": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": cursors.MAX_LIMIT},
                                      {"type": "string", "maxLength": 0}],
                            "default": cursors.DEFAULT_LIMIT}}
CURSOR: Schema = {"name": "cursor", "in": "query",
                  "description": "opaque: a next_cursor this server returned (anything else is 400 invalid_cursor)",
                  "schema": {"type": "string", "pattern": f"^[A-Za-z0-9_-]{{0,{cursors.MAX_CURSOR_CHARS}}}$"}}
PAGING = [LIMIT, CURSOR]
# q is stripped, then 1-256 characters of anything.
_QUERY_TEXT = f"[^{_WS}](?:[\\s\\S]{{0,{MAX_QUERY_CHARS - 2}}}[^{_WS}])?"
Q_POSTS: Schema = {"name": "q", "in": "query", "required": True,
                   "description": "words match captions, #tag matches hashtags (both may be combined)",
                   "schema": {"type": "string", "pattern": f"^[{_WS}]*{_QUERY_TEXT}[{_WS}]*$"}}
Q_USERS: Schema = {"name": "q", "in": "query", "required": True,
                   "description": "a prefix of a username or of a word of a display name ('@' in front ignored)",
                   "schema": {"type": "string",
                              "pattern": f"^[{_WS}]*(?:@+[{_WS}]+[^{_WS}]|@*[^{_WS}@])"
                                         f"(?:[\\s\\S]{{0,{MAX_QUERY_CHARS - 2}}}[^{_WS}])?[{_WS}]*$"}}
ORDER: Schema = {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["ranked", "recent"],
                                                             "default": "ranked"}}
LAST_EVENT_ID: Schema = {"name": "last_event_id", "in": "query", "description": "resume after this event id",
                         "schema": {"type": "string", "pattern": f"^(?:{_INT64_DECIMAL})?$"}}
WS_TOKEN: Schema = {"name": "token", "in": "query",
                    "description": "the bearer token, for clients that cannot set headers",
                    "schema": {"type": "string"}}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Schema], optional: dict[str, Schema] | None = None, *,
            closed: bool = True) -> Schema:
    out: Schema = {"type": "object", "required": list(required),
                   "properties": {**required, **(optional or {})}}
    if closed:
        out["additionalProperties"] = False
    return out


def page_of(item: str, *, resumable: bool = False) -> Schema:
    """``resumable``: a first page also names the live stream's resume point (README "The live stream")."""
    return _object({"items": {"type": "array", "items": ref(item)},
                    "next_cursor": {"type": ["string", "null"], "minLength": 1}},
                   {"last_event_id": {"type": "string", "pattern": "^[0-9]+$"}} if resumable else None)


_FILE: Schema = {"type": "string", "format": "binary"}


def _form_text(schema: Schema) -> Schema:
    return {key: value for key, value in schema.items() if key != "type"}


COMPONENTS: dict[str, Schema] = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "snake_case machine-readable code"},
        "message": {"type": "string", "minLength": 1, "description": "human sentence"},
    })}),
    "Relationship": _object({"following": {"type": "boolean"}, "requested": {"type": "boolean"},
                             "followed_by": {"type": "boolean"},
                             # Extensions (README, "Blocks, mutes, removing a follower"): the caller's own.
                             "blocking": {"type": "boolean"}, "muting": {"type": "boolean"}}),
    "User": _object({
        "id": ID_OUT, "username": USERNAME_OUT, "display_name": {"type": "string", "minLength": 1},
        "bio": {"type": "string"}, "private": {"type": "boolean"}, "followers_count": COUNT,
        "following_count": COUNT, "posts_count": COUNT, "avatar_url": URL_OR_NULL, "created_at": TIME,
    }, {"relationship": ref("Relationship")}),
    "UserSummary": _object({"id": ID_OUT, "username": USERNAME_OUT, "display_name": {"type": "string", "minLength": 1},
                            "avatar_url": URL_OR_NULL}),
    "MediaUrls": _object({name: {"type": "string", "minLength": 1}
                          for name in ("thumb", "small", "medium", "original")}),
    "Rendition": _object({
        "name": {"type": "string", "enum": ["high", "low"]},
        "width": {"type": "integer", "minimum": 2}, "height": {"type": "integer", "minimum": 2},
        "content_type": {"type": "string", "enum": ["video/mp4"]}, "url": {"type": "string", "minLength": 1},
    }),
    "Media": _object({
        "id": ID_OUT, "width": {"type": "integer", "minimum": 1}, "height": {"type": "integer", "minimum": 1},
        "type": {"type": "string", "enum": ["image", "video"]},
        "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/gif", "video/mp4",
                                                    "video/quicktime", "video/webm"]},
        # A video's urls are its poster's JPEG variants; empty until it is transcoded.
        "alt": {"type": "string"}, "urls": {"anyOf": [ref("MediaUrls"), _object({})]},
        "duration_s": {"type": ["number", "null"], "minimum": 0},
        "renditions": {"type": "array", "items": ref("Rendition"), "maxItems": 2},
    }),
    "Post": _object({
        "id": ID_OUT, "author": ref("UserSummary"), "caption": {"type": "string"},
        "hashtags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_HASHTAGS},
        "created_at": TIME, "like_count": COUNT, "comment_count": COUNT, "liked_by_me": {"type": "boolean"},
        # Extension (README, "Editing a caption"): null until the caption is edited.
        "edited_at": {"anyOf": [TIME, {"type": "null"}]},
        "media": {"type": "array", "items": ref("Media"), "minItems": 1, "maxItems": 10},
        "state": {"type": "string", "enum": ["processing", "ready", "failed"]},
        "failure": {"anyOf": [{"type": "null"}, _object({"code": {"type": "string", "minLength": 1},
                                                         "message": {"type": "string"}})]},
    }),
    "Comment": _object({"id": ID_OUT, "post_id": ID_OUT, "author": ref("UserSummary"),
                        "text": {"type": "string", "minLength": 1}, "created_at": TIME}),
    "Notification": _object({
        "id": ID_OUT,
        "type": {"type": "string", "enum": ["like", "comment", "follow", "follow_request", "follow_accept"]},
        "actor": ref("UserSummary"), "post_id": {"anyOf": [ID_OUT, {"type": "null"}]},
        "comment_id": {"anyOf": [ID_OUT, {"type": "null"}]}, "created_at": TIME, "read": {"type": "boolean"},
    }),
    "Session": _object({"user": ref("User"), "token": {"type": "string", "minLength": 16}}),
    "FollowState": _object({"state": {"type": "string", "enum": ["following", "requested"]}}),
    "LikeState": _object({"liked": {"type": "boolean"}, "like_count": COUNT}),
    "SaveState": _object({"saved": {"type": "boolean"}}),
    # Extension (README, "Exporting your data").
    "Export": _object({"state": {"type": "string", "enum": ["none", "building", "ready", "failed"]}},
                      {"requested_at": {"anyOf": [TIME, {"type": "null"}]},
                       "ready_at": {"anyOf": [TIME, {"type": "null"}]},
                       "expires_at": {"anyOf": [TIME, {"type": "null"}]},
                       "size_bytes": {"type": ["integer", "null"], "minimum": 0},
                       "url": {"type": ["string", "null"], "minLength": 1}}),
    "UserPage": page_of("User"),
    "PostPage": page_of("Post", resumable=True),
    "CommentPage": page_of("Comment"),
    "NotificationPage": page_of("Notification", resumable=True),
    "Trending": _object({"items": {"type": "array", "items": _object({
        "tag": {"type": "string", "minLength": 1}, "posts": COUNT, "score": {"type": "number", "minimum": 0},
    })}}),
    "Health": _object({"status": {"const": "ok"}}),
    "Readiness": _object({
        "ready": {"type": "boolean"}, "down": {"type": "array", "items": {"type": "string"}},
        "services": {"type": "object", "additionalProperties": {"oneOf": [
            _object({"status": {"const": "ok"}, "latency_ms": {"type": "number", "minimum": 0}}),
            _object({"status": {"const": "error"}, "error": {"type": "string"}}),
        ]}},
    }),
    "OpenApi": _object({"openapi": {"type": "string"}, "info": {"type": "object"}, "paths": {"type": "object"}},
                       closed=False),
    # Request bodies. Unknown fields are ignored by sign-up and login, refused by PATCH /me.
    "NewAccount": _object({"username": USERNAME_IN, "password": PASSWORD},
                          {"display_name": {"anyOf": [DISPLAY_NAME, {"type": "null"}]}}, closed=False),
    "Credentials": _object({"username": {"type": "string"}, "password": {"type": "string"}}, closed=False),
    "ProfilePatch": _object({}, {"display_name": DISPLAY_NAME, "bio": BIO, "private": {"type": "boolean"}}),
    "NewComment": _object({"text": COMMENT_TEXT}, closed=False),
    "CaptionPatch": _object({"caption": CAPTION}, closed=False),
    "PasswordConfirmation": _object({"password": {"type": "string", "minLength": 1}}, closed=False),
    "MarkRead": _object({"up_to": {"anyOf": [ID, {"type": "integer", "minimum": 0, "maximum": INT64_MAX}]}},
                        closed=False),
    # A form field sent once is one value, sent again it is a list: both spellings are valid. A text
    # part is text whatever it looks like ("{}", "5"), so text fields constrain strings only. Part
    # names with control characters are malformed headers (400); other unknown parts are ignored.
    "NewPost": {"type": "object", "required": ["media"],
                "propertyNames": {"pattern": "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"}, "properties": {
        "media": {"anyOf": [_FILE, {"type": "array", "items": _FILE, "minItems": 1, "maxItems": 10}],
                  "description": "1-10 parts: JPEG, PNG or GIF (each at most 10 MB), MP4, MOV or WebM (each at "
                                 "most 100 MB and 3 minutes)"},
        "caption": _form_text(CAPTION),
        "alt": {"anyOf": [_form_text(ALT), {"type": "array", "items": _form_text(ALT), "maxItems": 10}],
                "description": "alt texts, one per media part in order"},
    }},
    "NewAvatar": {"type": "object", "required": ["avatar"],
                  "propertyNames": {"pattern": "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"}, "properties": {
        "avatar": {**_FILE, "description": "one photo: JPEG, PNG or GIF, at most 10 MB"},
    }},
}

# What each error status means in this API (the contract's "Errors").
ERROR_MEANINGS = {
    400: "malformed request (invalid JSON, body nested too deep, invalid cursor, broken multipart)",
    401: "no or invalid bearer token (or wrong credentials at login)",
    403: "not allowed (e.g. a private account's lists, someone else's post, following an account one blocks)",
    404: "unknown (or not visible to the caller)",
    409: "conflict (e.g. username taken)",
    413: "request body too large",
    415: "unsupported media type",
    422: "well-formed but invalid",
    429: "rate limit or quota (with Retry-After)",
    503: "a backing service is down (with Retry-After)",
}
_RETRY_AFTER = {"Retry-After": {"required": True, "description": "seconds to wait",
                                "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def json_content(schema: Schema) -> dict:
    return {"application/json": {"schema": schema}}


def error(status: int) -> dict:
    out = {"description": ERROR_MEANINGS[status], "content": json_content(ref("Error"))}
    if status in (429, 503):
        out["headers"] = _RETRY_AFTER
    return out


def responses(success: dict[int, str | None], *errors: int) -> dict[str, dict]:
    """Success statuses with the component their body is (None: no body), and error statuses.
    ``build_spec`` adds 401 to authenticated operations and 503 to every API operation."""
    out: dict[str, dict] = {}
    for status, component in success.items():
        out[str(status)] = {"description": component or "no content"}
        if component is not None:
            out[str(status)]["content"] = json_content(ref(component))
    for status in errors:
        out[str(status)] = error(status)
    return out


def json_body(component: str) -> dict:
    return {"required": True, "content": json_content(ref(component))}


MULTIPART_POST = {"required": True, "content": {"multipart/form-data": {"schema": ref("NewPost")}}}
MULTIPART_AVATAR = {"required": True, "content": {"multipart/form-data": {"schema": ref("NewAvatar")}}}
AVATAR_IMAGE = {"description": "the photo (JPEG, metadata stripped)",
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}

# The operational endpoints outside gateway/routes, documented here by (method, path).
OPERATIONAL: dict[tuple[str, str], dict] = {
    ("GET", "/healthz"): {"public": True, "responses": responses({200: "Health"})},
    ("GET", "/readyz"): {"public": True, "responses": {
        "200": {"description": "every backing service answers", "content": json_content(ref("Readiness"))},
        "503": {"description": "a backing service is down", "headers": _RETRY_AFTER,
                "content": json_content(ref("Readiness"))}}},
    ("GET", "/metrics"): {"public": True, "responses": {
        "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}},
    ("GET", "/api/v1/openapi.json"): {"public": True, "responses": responses({200: "OpenApi"})},
}
# Operations that never reach a backing service, so never answer 503.
NO_BACKING_SERVICE = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/api/v1/openapi.json")}
