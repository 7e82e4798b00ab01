"""The web client's files (web/) as the gateway serves them, and the browser security policy.

Pure apart from reading web/ once: the client is small (tens of KB), so every file is held in
memory with its gzip form and ETag, and a request never touches the disk.

Caching: assets live under ``/assets/<build>/``, where ``build`` is a digest of every file. Any
change to any file changes every asset URL, so assets (including ES modules that import each
other by relative path) are cached for a year as immutable, with no build step renaming files.
The page at ``/`` is revalidated on each load (ETag) and names the current build.
"""
from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
BUILD_PLACEHOLDER = b"__BUILD__"
MODULES_PLACEHOLDER = b"<!--MODULES-->"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Text formats are worth compressing; PNGs already are.
COMPRESSIBLE = {".html", ".js", ".css", ".svg"}
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


@dataclass(frozen=True)
class Bundle:
    build: str
    page: Asset
    assets: dict[str, Asset]      # path under /assets/<build>/ -> file

    def asset_bytes(self) -> int:
        return len(self.page.body) + sum(len(a.body) for a in self.assets.values())


def _asset(body: bytes, suffix: str) -> Asset:
    gz = gzip.compress(body, 9, mtime=0) if suffix in COMPRESSIBLE else None
    return Asset(body, gz if gz is not None and len(gz) < len(body) else None, CONTENT_TYPES[suffix],
                 '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def load_bundle(root: Path = WEB_DIR) -> Bundle:
    files = {p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in CONTENT_TYPES}
    if "index.html" not in files:
        raise FileNotFoundError(f"the web client's index.html is missing from {root}")
    digest = hashlib.sha256()
    for name, body in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    build = digest.hexdigest()[:16]
    # Every module announced up front: the browser fetches them in parallel instead of discovering
    # them import by import (three levels deep).
    preloads = "".join(f'<link rel="modulepreload" href="/assets/{BUILD_PLACEHOLDER.decode()}/{name}">\n'
                       for name in files if name.endswith(".js"))
    page = files.pop("index.html").replace(MODULES_PLACEHOLDER, preloads.encode())
    page = page.replace(BUILD_PLACEHOLDER, build.encode())
    return Bundle(build, _asset(page, ".html"),
                  {name: _asset(body, Path(name).suffix) for name, body in files.items()})


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(media_origin: str | None, host: str | None) -> str:
    """No inline script or style, nothing from other hosts except the photos' S3 endpoint.

    ``media_origin``: where presigned media URLs point (post photos; avatars redirect there too).
    ``host``: the page's own host, for the live WebSocket (older browsers do not count ws: as
    'self'); a Host header that is not a plain host[:port] is left out."""
    media = f" {media_origin}" if media_origin else ""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # blob: the upload screen previews the chosen files before they are sent.
        f"img-src 'self' blob:{media}",
        f"media-src 'self' blob:{media}",
        f"connect-src 'self'{sockets}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # Media URLs carry signatures and page URLs name accounts: neither goes to another host.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
