"""X-RateLimit-* headers (what Mastodon clients read instead of Retry-After) and the fixed window
behind them: every request counts against its token's window (or its address's, without one)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from redis.asyncio import Redis

from core import redis_keys


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


async def count(redis: Redis, subject: str, limit: int, window_s: int) -> Window:
    key = redis_keys.mastodon_requests(subject)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s, nx=True)     # the window starts with its first request
        pipe.ttl(key)
        n, _, ttl = await pipe.execute()
    return Window(limit, int(n), int(ttl) if ttl and ttl > 0 else window_s)
