"""OAuth access tokens and one-time authorization codes, in Redis, known by their SHA-256 digest
(the same digest as v1 sessions, stores/sessions.py: a revocation published on the account's
live channel ends the streams opened with the token)."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from core import redis_keys
from core.live_protocol import revocation
from stores import ratelimit
from stores.capped_sets import evict_oldest_past_cap

CODE_TTL_S = 600

# KEYS: the (account, app) live set, the new token's key. ARGV: the grant, its TTL (s), now (ms),
# its expiry (ms), its digest, the cap, the token key prefix. Stores the token, forgets expired
# ones, and revokes the oldest past the cap, atomically: parallel logins cannot both slip under
# it. Returns the revoked digests (their streams are ended by the caller).
_ISSUE = """
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[2])
""" + evict_oldest_past_cap(cap="ARGV[6]", member_key_prefix="ARGV[7]")

# KEYS: the token's key, the caller's address window (the count when the token resolves to
# nothing). ARGV: the window (s), the account window key prefix, the app window key prefix.
# Resolves the token and counts the request in the window of whom it stands for, in one round
# trip: the token is read before the count, as two calls would. The account id is read from the
# grant's text (as issue() writes it), never through cjson's doubles (ids past 2^53 would round);
# a grant in any other shape is returned uncounted ({raw}), for the caller to count.
_RESOLVE_COUNTING = """
local raw = redis.call('GET', KEYS[1])
local key = KEYS[2]
if raw then
  local uid = string.match(raw, '^{"user_id": (%-?%d+), ')
  if uid then
    key = ARGV[2] .. uid
  elseif string.match(raw, '^{"user_id": null, ') then
    local ok, grant = pcall(cjson.decode, raw)
    if not ok or type(grant['client_id']) ~= 'string' then return {raw} end
    key = ARGV[3] .. grant['client_id']
  else
    return {raw}
  end
end
local n = redis.call('INCR', key)
redis.call('EXPIRE', key, ARGV[1], 'NX')
return {raw or false, n, redis.call('TTL', key)}
"""


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
    """``ttl_s``: an account's tokens; ``app_ttl_s``: client-credentials tokens. ``live_cap``:
    live tokens per (account, app), or per app for app-only tokens."""

    def __init__(self, redis: Redis, ttl_s: int, app_ttl_s: int | None = None, live_cap: int = 10) -> None:
        self.redis, self.ttl_s, self.live_cap = redis, ttl_s, live_cap
        self.app_ttl_s = app_ttl_s if app_ttl_s is not None else ttl_s
        self._issue = redis.register_script(_ISSUE)
        self._resolve_counting = redis.register_script(_RESOLVE_COUNTING)

    def ttl_for(self, user_id: int | None) -> int:
        return self.ttl_s if user_id is not None else self.app_ttl_s

    async def issue(self, *, user_id: int | None, client_id: str, scopes: list[str], now_ms: int) -> str:
        token = secrets.token_urlsafe(32)
        d, ttl = digest(token), self.ttl_for(user_id)
        body = {"user_id": user_id, "client_id": client_id, "scopes": scopes, "created_at_ms": now_ms}
        revoked = await self._issue(
            keys=[redis_keys.oauth_live_tokens(user_id, client_id), redis_keys.oauth_token(d)],
            args=[json.dumps(body), ttl, now_ms, now_ms + ttl * 1000, d, self.live_cap, redis_keys.oauth_token("")])
        if revoked and user_id is not None:
            # Their open streams end at once, as on a revocation.
            async with self.redis.pipeline(transaction=False) as pipe:
                for old in revoked:
                    pipe.publish(redis_keys.live_channel(user_id), revocation(user_id, old.decode()))
                await pipe.execute()
        return token

    async def resolve(self, token: str) -> Grant | None:
        if not (0 < len(token) <= 128 and token.isascii()):
            return None
        d = digest(token)
        raw = await self.redis.get(redis_keys.oauth_token(d))
        return Grant(**json.loads(raw), digest=d) if raw is not None else None

    async def resolve_counting(self, token: str, *, address_key: str, user_key_prefix: str, app_key_prefix: str,
                               window_s: int) -> tuple[Grant | None, int | None, int]:
        """``resolve`` and one count in a fixed window (stores/ratelimit.count), in one round trip:
        the window is ``user_key_prefix`` + the account id for an account's token,
        ``app_key_prefix`` + the client id for an app-only one, ``address_key`` when the token
        resolves to nothing. The grant, the count so far (None: not counted, a grant this
        method cannot place; the caller counts it) and the seconds the window has left."""
        grant, d = None, None
        if 0 < len(token) <= 128 and token.isascii():
            d = digest(token)
        if d is None:
            n, left_s = await ratelimit.count(self.redis, address_key, window_s)
            return None, n, left_s
        reply = await self._resolve_counting(keys=[redis_keys.oauth_token(d), address_key],
                                             args=[window_s, user_key_prefix, app_key_prefix])
        raw = reply[0]
        if raw is not None:
            grant = Grant(**json.loads(raw), digest=d)
        if len(reply) < 3:
            return grant, None, window_s
        ttl = int(reply[2])
        return grant, int(reply[1]), ttl if ttl > 0 else window_s

    async def revoke(self, token: str) -> Grant | None:
        """Revoke a token (fine if unknown); the grant it stood for, if any."""
        grant = await self.resolve(token)
        if grant is None:
            return None
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(redis_keys.oauth_token(grant.digest))
            pipe.zrem(redis_keys.oauth_live_tokens(grant.user_id, grant.client_id), grant.digest)
            if grant.user_id is not None:
                # After the delete, in the same transaction, as a v1 logout does.
                pipe.publish(redis_keys.live_channel(grant.user_id), revocation(grant.user_id, grant.digest))
            await pipe.execute()
        return grant

    async def revoke_account(self, user_id: int) -> int:
        """Revoke every token an account holds through any app (its deletion); their open streams
        end at once. The account's per-app sets are found by key pattern (a SCAN, run once per
        deleted account); how many tokens there were."""
        revoked = 0
        pattern = redis_keys.oauth_live_tokens(user_id, "*")
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            digests = [d.decode() for d in await self.redis.zrange(key, 0, -1)]
            async with self.redis.pipeline(transaction=True) as pipe:
                for d in digests:
                    pipe.delete(redis_keys.oauth_token(d))
                    pipe.publish(redis_keys.live_channel(user_id), revocation(user_id, d))
                pipe.delete(key)
                await pipe.execute()
            revoked += len(digests)
        return revoked

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
