"""Registered OAuth clients (Mastodon's "apps"), in Redis. The client secret is kept only as a
digest: a leaked Redis dump does not hand out client credentials."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from core import redis_keys


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class OAuthApp:
    client_id: str
    app_id: str
    name: str
    website: str | None
    redirect_uris: list[str]
    scopes: list[str]
    secret_digest: str

    def secret_matches(self, secret: str | None) -> bool:
        return secret is not None and len(secret) <= 256 and hmac.compare_digest(_digest(secret), self.secret_digest)


class OAuthApps:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def register(self, *, app_id: int, name: str, website: str | None, redirect_uris: list[str],
                       scopes: list[str]) -> tuple[OAuthApp, str]:
        """The new client and its secret (shown once)."""
        client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        app = OAuthApp(client_id, str(app_id), name, website, redirect_uris, scopes, _digest(secret))
        await self.redis.set(redis_keys.oauth_app(client_id), json.dumps(app.__dict__))
        return app, secret

    async def get(self, client_id: str | None) -> OAuthApp | None:
        if not client_id or len(client_id) > 128 or not client_id.isascii():
            return None
        raw = await self.redis.get(redis_keys.oauth_app(client_id))
        return OAuthApp(**json.loads(raw)) if raw is not None else None
