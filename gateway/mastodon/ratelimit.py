"""X-RateLimit-* headers (what Mastodon clients read instead of Retry-After) and the fixed window
behind them: every request counts against the account its token stands for (the app, for an
app-only token), or against the client's address when it has no token or one that resolves to
nothing (a made-up token is no way to a fresh window)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from redis.asyncio import Redis

from stores.oauth_tokens import Grant, OAuthTokens
from stores.ratelimit import count_request, request_key


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset_in_s: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def headers(window: Window, now_s: float) -> dict[str, str]:
    """Reset is an ISO 8601 time, as Mastodon sends it (Mastodon.py parses either that or epoch
    seconds)."""
    reset = datetime.fromtimestamp(now_s + max(window.reset_in_s, 0), tz=timezone.utc)
    return {"X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(window.limit - window.count, 0)),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


# Subjects: an account, an app (its app-only tokens), a client address.
USER, APP, ADDRESS = "u:", "c:", "a:"


def subject(grant: Grant | None, address: str) -> str:
    """Whose window a request counts against, once its token was checked."""
    if grant is None:
        return f"{ADDRESS}{address}"
    return f"{USER}{grant.user_id}" if grant.user_id is not None else f"{APP}{grant.client_id}"


async def count(redis: Redis, subject: str, limit: int, window_s: int) -> Window:
    n, left_s = await count_request(redis, subject, window_s)
    return Window(limit, n, left_s)


async def resolve_and_count(redis: Redis, tokens: OAuthTokens, token: str, address: str, limit: int,
                            window_s: int) -> tuple[Grant | None, Window]:
    """The token's grant and the request counted in the window ``subject`` gives it, in one
    Redis round trip (the token read first, as ``grant_of`` then ``count`` would)."""
    grant, n, left_s = await tokens.resolve_counting(
        token, address_key=request_key(subject(None, address)), user_key_prefix=request_key(USER),
        app_key_prefix=request_key(APP), window_s=window_s)
    if n is None:
        return grant, await count(redis, subject(grant, address), limit, window_s)
    return grant, Window(limit, n, left_s)
