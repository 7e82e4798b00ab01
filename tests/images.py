"""Images made on the fly for tests: no binary fixtures in the repository."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def jpeg(width: int = 64, height: int = 48, *, orientation: int | None = None, gps: bool = False,
         quality: int = 90, noise: bool = False) -> bytes:
    """A JPEG whose left half is red and right half blue (so orientation can be checked)."""
    im = Image.new("RGB", (width, height), (255, 0, 0))
    im.paste((0, 0, 255), (width // 2, 0, width, height))
    if noise:
        im = Image.effect_noise((width, height), 64).convert("RGB")
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def png(width: int = 40, height: int = 30, *, alpha: bool = True) -> bytes:
    im = Image.new("RGBA" if alpha else "RGB", (width, height), (0, 128, 0, 128) if alpha else (0, 128, 0))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def gif(frames: int = 3, size: int = 32) -> bytes:
    images = [Image.new("RGB", (size, size), color=(i * 60 % 256, 255 - i * 60 % 256, 0)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "WEBP")
    return buf.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = jpeg(200, 200, noise=True)
    return data[: len(data) // 2]


def has_metadata(data: bytes) -> list[str]:
    """The kinds of metadata an encoded image still carries."""
    found = []
    with Image.open(io.BytesIO(data)) as im:
        if im.getexif():
            found.append("exif")
        if im.info.get("icc_profile"):
            found.append("icc")
        if "comment" in im.info or "xmp" in im.info or "XML:com.adobe.xmp" in im.info:
            found.append("comment/xmp")
    if b"Exif\x00\x00" in data:
        found.append("exif-marker")
    return found


def gif_declaring(width: int, height: int, frames: int, *, delays: bool = True) -> bytes:
    """A GIF bomb: a ``width`` x ``height`` screen and ``frames`` frames of one pixel each.

    Every frame is tiny on disk (about 15 bytes, 23 with a delay) yet a decoder composes each onto
    the whole screen: 40 frames at 2000x2000 are 959 bytes and 160 million decoded pixels."""
    screen = struct.pack("<6sHHBBB", b"GIF89a", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    delay = b"!\xf9\x04\x04\x0a\x00\x00\x00"      # 100 ms, "do not dispose"
    # One pixel of colour 0, LZW with 2-bit codes: clear (4), 0, end (5), packed 3 bits each.
    pixel = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    frame = (delay if delays else b"") + pixel
    return screen + loop + frame * frames + b";"
