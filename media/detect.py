"""What a file really is, from its first bytes, never from its name or declared type: photos
(JPEG, PNG, GIF) and video containers (MP4, QuickTime, WebM)."""
from __future__ import annotations

from typing import Callable

JPEG, PNG, GIF = "image/jpeg", "image/png", "image/gif"
ACCEPTED = (JPEG, PNG, GIF)
MP4, MOV, WEBM = "video/mp4", "video/quicktime", "video/webm"
VIDEOS = (MP4, MOV, WEBM)

# Enough of the head of a file to recognise every signature below (a WebM's DocType is in its
# first few dozen bytes; an MP4's compatible brands follow its major brand).
SNIFF_BYTES = 64

# ISO base media brands of still images: an ``ftyp`` box is no proof of a video.
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
                 b"avif", b"avis", b"jpeg", b"avci"}
# Brands of the video files phones, cameras and encoders write.
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
                 b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"3gp4", b"3gp5", b"3gp6",
                 b"3g2a", b"MSNV", b"XAVC", b"f4v ", b"qt  "}
# Top-level atoms an old QuickTime file (no ``ftyp``) may start with.
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_EBML = b"\x1a\x45\xdf\xa3"
_DOCTYPE = b"\x42\x82"


def sniff(head: bytes) -> str | None:
    """The accepted content type these leading bytes announce, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    return None


def _ftyp_brands(head: bytes) -> tuple[bytes, list[bytes]]:
    size = int.from_bytes(head[:4], "big")
    end = min(size, len(head)) if size >= 16 else 16
    return head[8:12], [head[i:i + 4] for i in range(16, end - 3, 4)]


def _webm_doctype(head: bytes) -> bytes | None:
    """The DocType of an EBML header (``webm``, ``matroska``), read from its first bytes."""
    at = head.find(_DOCTYPE, 4)
    if at < 0 or at + 3 > len(head):
        return None
    size = head[at + 2]
    if not size & 0x80:            # a one-byte length, as every muxer writes it
        return None
    length = size & 0x7F
    return head[at + 3:at + 3 + length]


def sniff_video(head: bytes) -> str | None:
    """The accepted video container these leading bytes announce (MP4, QuickTime or WebM), or None.
    Only a hint: the container is then opened and probed (media/video.py), which has the last word."""
    kind = head[4:8]
    if kind == b"ftyp":
        major, compatible = _ftyp_brands(head)
        if major in _IMAGE_BRANDS:
            return None
        if major == b"qt  ":
            return MOV
        if major in _VIDEO_BRANDS or any(b in _VIDEO_BRANDS for b in compatible):
            return MP4
        return None
    if kind in _QUICKTIME_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return MOV
    if head.startswith(_EBML) and _webm_doctype(head) == b"webm":
        return WEBM
    return None


def sniff_file(path: str, sniffer: Callable[[bytes], str | None]) -> tuple[str | None, bytes]:
    """(``sniffer``'s content type or None, the head it read) for the file at ``path``."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return sniffer(head), head


def refusal(head: bytes, accepted: str) -> str:
    """The message of a 415 for a file of another type: what it is, and what to upload instead."""
    return f"{describe_unaccepted(head)} is not accepted; upload {accepted}."


def describe_unaccepted(head: bytes) -> str:
    """A human name for a refused file, for the error message."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "SVG/XML"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF/AVIF"
    if head.startswith(_EBML):
        return "Matroska (other than WebM)"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "AVI"
    return "this file type"
