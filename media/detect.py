"""What a file really is, from its first bytes, never from its name or declared type."""
from __future__ import annotations

JPEG, PNG, GIF = "image/jpeg", "image/png", "image/gif"
ACCEPTED = (JPEG, PNG, GIF)

# Enough of the head of a file to recognise every signature below.
SNIFF_BYTES = 16


def sniff(head: bytes) -> str | None:
    """The accepted content type these leading bytes announce, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    return None


def describe_unaccepted(head: bytes) -> str:
    """A human name for a refused file, for the error message."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "SVG/XML"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF/AVIF"
    return "this file type"
