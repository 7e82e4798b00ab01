"""Presigned GET URLs for media objects, one per object per validity window (pure computation).

Why not botocore's presigner: it resolves the endpoint ruleset and builds a whole request per
URL, which was half of the gateway's CPU on a feed page (issue 20). A SigV4 query signature for
a GET is one SHA-256 and one HMAC once the day's signing key is known.

Why windows: every URL for an object signed within the same window is byte-identical (its
X-Amz-Date is the window's start), so browsers and a CDN cache the bytes under one URL, and the
gateway computes it once per window. A URL handed out at any moment of window ``[t, t + W)``
is valid until ``t + 2W``: at least W (``RAYGRAM_MEDIA_URL_TTL_S``) and at most 2W after it was
handed out. That bound is the privacy model: someone who loses access to an account's media
(unfollowed, blocked, the post deleted) keeps a URL they already hold for at most 2W, and gets
no new one.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

# SigV4 presigned URLs live at most 7 days (AWS and MinIO refuse longer X-Amz-Expires).
MAX_EXPIRES_S = 7 * 24 * 3600
# URLs kept per window: a bound on memory however many objects a gateway serves in a window
# (about 200 bytes each); past it the cache starts over, costing one signature per URL again.
CACHE_MAX = 200_000


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str = "s3") -> bytes:
    """The SigV4 key for one day, region and service (``date`` as YYYYMMDD)."""
    key = _hmac(("AWS4" + secret_key).encode(), date)
    return _hmac(_hmac(_hmac(key, region), service), "aws4_request")


def presign(*, host: str, path: str, access_key: str, key: bytes, region: str, amz_date: str,
            expires_s: int, base: str) -> str:
    """A SigV4 query-string presigned GET of ``path`` on ``host`` signed at ``amz_date``
    (YYYYMMDDTHHMMSSZ) with the day's signing ``key``; ``base`` is the scheme and authority."""
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    # The canonical query: parameters sorted by name, names and values URI-encoded.
    query = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={quote(f'{access_key}/{scope}', safe='~')}"
             f"&X-Amz-Date={amz_date}&X-Amz-Expires={expires_s}&X-Amz-SignedHeaders=host")
    canonical = f"GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{base}{path}?{query}&X-Amz-Signature={signature}"


def window_start(now_s: float, window_s: int) -> int:
    return int(now_s) // window_s * window_s


class MediaUrlSigner:
    """Path-style URLs on ``endpoint`` (the address clients reach) for objects of ``bucket``."""

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str,
                 window_s: int, clock=time.time) -> None:
        if not 0 < 2 * window_s <= MAX_EXPIRES_S:
            raise ValueError(f"a media URL window must be between 1 s and {MAX_EXPIRES_S // 2} s")
        parts = urlsplit(endpoint)
        self._base = f"{parts.scheme}://{parts.netloc}"
        # The Host header a client sends: the authority, without a default port.
        default_port = {"http": 80, "https": 443}[parts.scheme]
        self._host = parts.hostname if parts.port in (None, default_port) else f"{parts.hostname}:{parts.port}"
        self._prefix = f"{parts.path.rstrip('/')}/{quote(bucket, safe='~')}/"
        self._access_key, self._secret_key, self._region = access_key, secret_key, region
        self.window_s, self._clock = window_s, clock
        self._window = -1
        self._amz_date = ""
        self._key = b""
        self._cache: dict[str, str] = {}

    def window(self) -> int:
        """The start of the current window: URLs signed within it are identical."""
        return window_start(self._clock(), self.window_s)

    def url(self, object_key: str) -> str:
        start = self.window()
        if start != self._window:
            self._new_window(start)
        found = self._cache.get(object_key)
        if found is None:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            found = self._cache[object_key] = presign(
                host=self._host, path=self._prefix + quote(object_key, safe="/~"), access_key=self._access_key,
                key=self._key, region=self._region, amz_date=self._amz_date, expires_s=2 * self.window_s,
                base=self._base)
        return found

    def _new_window(self, start: int) -> None:
        stamp = datetime.fromtimestamp(start, tz=timezone.utc)
        self._window, self._amz_date = start, stamp.strftime("%Y%m%dT%H%M%SZ")
        self._key = signing_key(self._secret_key, self._amz_date[:8], self._region)
        self._cache = {}
