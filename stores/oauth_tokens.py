"""OAuth access tokens and one-time authorization codes, in Redis, known by their SHA-256 digest
(the same digest as v1 sessions, gateway/sessions.py: a revocation published on the account's
live channel ends the streams opened with the token)."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from core import redis_keys
from live.protocol import revocation

CODE_TTL_S = 600


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What a token stands for. ``user_id`` is None for a client-credentials (app-only) token."""
    user_id: int | None
    client_id: str
    scopes: list[str]
    created_at_ms: int
    digest: str = ""


@dataclass(frozen=True)
class PendingCode:
    user_id: int
    client_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    method: str | None


class OAuthTokens:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis, self.ttl_s = redis, ttl_s

    async def issue(self, *, user_id: int | None, client_id: str, scopes: list[str], now_ms: int) -> str:
        token = secrets.token_urlsafe(32)
        body = {"user_id": user_id, "client_id": client_id, "scopes": scopes, "created_at_ms": now_ms}
        await self.redis.set(redis_keys.oauth_token(digest(token)), json.dumps(body), ex=self.ttl_s)
        return token

    async def resolve(self, token: str) -> Grant | None:
        if not (0 < len(token) <= 128 and token.isascii()):
            return None
        d = digest(token)
        raw = await self.redis.get(redis_keys.oauth_token(d))
        return Grant(**json.loads(raw), digest=d) if raw is not None else None

    async def revoke(self, token: str) -> Grant | None:
        """Revoke a token (fine if unknown); the grant it stood for, if any."""
        grant = await self.resolve(token)
        if grant is None:
            return None
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(redis_keys.oauth_token(grant.digest))
            if grant.user_id is not None:
                # After the delete, in the same transaction, as a v1 logout does.
                pipe.publish(redis_keys.live_channel(grant.user_id), revocation(grant.user_id, grant.digest))
            await pipe.execute()
        return grant

    async def remaining_s(self, token_digest: str) -> float | None:
        ms = await self.redis.pttl(redis_keys.oauth_token(token_digest))
        return ms / 1000 if ms >= 0 else None

    async def new_code(self, pending: PendingCode) -> str:
        code = secrets.token_urlsafe(32)
        await self.redis.set(redis_keys.oauth_code(digest(code)), json.dumps(pending.__dict__), ex=CODE_TTL_S)
        return code

    async def take_code(self, code: str) -> PendingCode | None:
        """The code's grant, once: a second exchange of the same code finds nothing."""
        if not (0 < len(code) <= 128 and code.isascii()):
            return None
        raw = await self.redis.getdel(redis_keys.oauth_code(digest(code)))
        return PendingCode(**json.loads(raw)) if raw is not None else None
