"""AppKeys of the Mastodon application (it also carries the main app's shared keys, gateway/keys.py)."""
from __future__ import annotations

from aiohttp import web

from stores.mastodon_state import IdempotencyKeys, Markers
from stores.oauth_tokens import OAuthTokens
from usecases.media_library import MediaLibrary
from usecases.oauth import OAuth

from .present import Presenter

OAUTH = web.AppKey("oauth", OAuth)
OAUTH_TOKENS = web.AppKey("oauth_tokens", OAuthTokens)
MEDIA_LIBRARY = web.AppKey("media_library", MediaLibrary)
PRESENTER = web.AppKey("presenter", Presenter)
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyKeys)
MARKERS = web.AppKey("markers", Markers)
