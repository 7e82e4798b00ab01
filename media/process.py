"""Image processing with Pillow: validate, orient, strip, convert to sRGB, make the variants.

Pure CPU work on local files, run in a process pool (never on the gateway's event loop). Every
stored variant is re-encoded from pixels alone: no EXIF (so no GPS), no XMP, no comments, no ICC
profile (pixels are converted to sRGB first, which is what a file without a profile means).
"""
from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from .detect import GIF, JPEG, PNG, SNIFF_BYTES, describe_unaccepted, sniff

# name -> longest side in pixels; thumb is a centre-cropped square.
VARIANT_SIZES = {"thumb": 150, "small": 320, "medium": 1080}
VARIANTS = ("thumb", "small", "medium", "original")
JPEG_QUALITY = {"thumb": 80, "small": 82, "medium": 85, "original": 90}
_SRGB = ImageCms.createProfile("sRGB")
_FORMAT = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF"}
_EXT = {JPEG: "jpg", PNG: "png", GIF: "gif"}


class ImageRejected(Exception):
    """The upload is not an image we accept; carries the contract's status and code.

    Plain positional args so that it pickles across the process pool."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class StoredVariant:
    name: str
    path: str
    content_type: str
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str          # of the original
    width: int                 # upright, of the original
    height: int
    frames: int
    variants: list[StoredVariant] = field(default_factory=list)


def check_header(path: str, max_pixels: int) -> tuple[str, int, int]:
    """Cheap validation from the header alone: type and declared size (no pixel decoding)."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    content_type = sniff(head)
    if content_type is None:
        raise ImageRejected(415, "unsupported_media_type",
                            f"{describe_unaccepted(head)} is not accepted; upload JPEG, PNG or GIF.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                declared = im.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(422, "image_too_large", f"Images may have at most {max_pixels:,} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(422, "corrupt_image", f"The image could not be read: {exc}.") from None
    if _FORMAT[content_type] != declared:
        raise ImageRejected(422, "corrupt_image", "The image's contents do not match its signature.")
    if width * height > max_pixels or width < 1 or height < 1:
        raise ImageRejected(422, "image_too_large",
                            f"Images may have at most {max_pixels:,} pixels; this one declares {width}x{height}.")
    return content_type, width, height


def _to_srgb(im: Image.Image) -> Image.Image:
    icc = im.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if im.mode in ("RGBA", "LA", "PA") else "RGB"
            if im.mode not in ("RGB", "RGBA", "CMYK", "L"):
                im = im.convert(mode)
            return ImageCms.profileToProfile(im, src, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall through to a plain conversion
    if im.mode == "CMYK":
        return im.convert("RGB")
    return im


def _flatten(im: Image.Image) -> Image.Image:
    """RGB for JPEG variants; transparency composited on white."""
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def _strip(im: Image.Image) -> Image.Image:
    # Pillow carries exif/xmp/icc/comments in .info and some encoders write them back out.
    im.info = {k: v for k, v in im.info.items() if k in ("duration", "loop", "transparency", "disposal")}
    return im


def _save(im: Image.Image, path: str, content_type: str, quality: int, **extra) -> int:
    fmt = _FORMAT[content_type]
    params = dict(extra)
    if fmt == "JPEG":
        params.update(quality=quality, optimize=False, progressive=True, exif=b"")
    elif fmt == "PNG":
        params.update(compress_level=6, exif=b"")
    im.save(path, fmt, **params)
    return os.path.getsize(path)


def _save_animated_gif(src: Image.Image, path: str) -> tuple[int, int, int]:
    frames, durations = [], []
    for frame in ImageSequence.Iterator(src):
        durations.append(frame.info.get("duration", 100))
        frames.append(_strip(frame.convert("RGBA")))
    first = frames[0]
    first.save(path, "GIF", save_all=True, append_images=frames[1:], duration=durations,
               loop=src.info.get("loop", 0), disposal=2, optimize=False)
    return first.width, first.height, len(frames)


def process_image(src: str, out_dir: str, max_pixels: int) -> ProcessedImage:
    """Validate ``src`` and write every variant into ``out_dir``."""
    content_type, _, _ = check_header(src, max_pixels)
    variants: list[StoredVariant] = []
    try:
        with Image.open(src) as im:
            frames = getattr(im, "n_frames", 1)
            original_path = os.path.join(out_dir, f"original.{_EXT[content_type]}")
            if content_type == GIF and frames > 1:
                # Animated: kept animated (and GIFs carry no orientation); variants use frame one.
                width, height, frames = _save_animated_gif(im, original_path)
                im.seek(0)
                upright = im.convert("RGBA")
            else:
                im.load()
                upright = _strip(_to_srgb(ImageOps.exif_transpose(im)))
                width, height = upright.size
                stored = upright if content_type != JPEG else upright.convert("RGB")
                _save(stored, original_path, content_type, JPEG_QUALITY["original"])
            variants.append(StoredVariant("original", original_path, content_type, width, height,
                                          os.path.getsize(original_path)))
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected(422, "corrupt_image", f"The image is truncated or corrupt: {exc}.") from None

    base = _flatten(upright)
    medium = base.copy()
    medium.thumbnail((VARIANT_SIZES["medium"],) * 2, Image.Resampling.LANCZOS, reducing_gap=3.0)
    small = medium.copy()
    small.thumbnail((VARIANT_SIZES["small"],) * 2, Image.Resampling.LANCZOS)
    side = VARIANT_SIZES["thumb"]
    thumb = ImageOps.fit(medium, (side, side), Image.Resampling.LANCZOS)
    for name, img in (("medium", medium), ("small", small), ("thumb", thumb)):
        path = os.path.join(out_dir, f"{name}.jpg")
        size = _save(img, path, JPEG, JPEG_QUALITY[name])
        variants.append(StoredVariant(name, path, JPEG, img.width, img.height, size))
    return ProcessedImage(content_type, width, height, frames, variants)
