"""Image processing with Pillow: validate, orient, strip, convert to sRGB, make the variants.

Pure CPU work on local files, run in a process pool (never on the gateway's event loop). Every
stored variant is re-encoded from pixels alone: no EXIF (so no GPS), no XMP, no comments, no ICC
profile (pixels are converted to sRGB first, which is what a file without a profile means).
"""
from __future__ import annotations

import io
import math
import os
import struct
import warnings
from dataclasses import dataclass, field

from PIL import GifImagePlugin, Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from . import gif as gif_layout
from .detect import GIF, JPEG, PNG, refusal, sniff, sniff_file

# name -> longest side in pixels; thumb is a centre-cropped square.
VARIANT_SIZES = {"thumb": 150, "small": 320, "medium": 1080}
VARIANTS = ("thumb", "small", "medium", "original")
JPEG_QUALITY = {"thumb": 80, "small": 82, "medium": 85, "original": 90}
_SRGB = ImageCms.createProfile("sRGB")
_FORMAT = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF"}
_EXT = {JPEG: "jpg", PNG: "png", GIF: "gif"}
# What Pillow raises on a truncated or hostile file (IndexError and struct.error: plugins index
# into headers that a hostile file cut short).
_CORRUPT = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


class ImageRejected(Exception):
    """The upload is not an image we accept; carries the contract's status and code.

    Plain positional args so that it pickles across the process pool."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ImageLimits:
    """What one upload may cost to decode (``core.config`` holds the numbers, and why)."""
    max_pixels: int          # of any image's canvas
    gif_max_frames: int      # frames of an animated GIF
    gif_max_pixels: int      # pixels decoded over all frames of a GIF (frames x canvas)

    @classmethod
    def from_settings(cls, settings) -> "ImageLimits":
        return cls(settings.media_max_pixels, settings.media_gif_max_frames, settings.media_gif_max_pixels)


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


def check_header(path: str, limits: ImageLimits) -> tuple[str, int, int]:
    """Cheap validation from the headers alone: type, declared size and, for a GIF, every frame
    (no pixel decoding)."""
    max_pixels = limits.max_pixels
    content_type, head = sniff_file(path, sniff)
    if content_type is None:
        raise ImageRejected(415, "unsupported_media_type", refusal(head, "JPEG, PNG or GIF"))
    if content_type == GIF:
        _check_gif(path, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                declared = im.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(422, "image_too_large", f"Images may have at most {max_pixels:,} pixels.") from None
    except _CORRUPT as exc:
        raise ImageRejected(422, "corrupt_image", f"The image could not be read: {exc}.") from None
    if _FORMAT[content_type] != declared:
        raise ImageRejected(422, "corrupt_image", "The image's contents do not match its signature.")
    if width * height > max_pixels or width < 1 or height < 1:
        raise ImageRejected(422, "image_too_large",
                            f"Images may have at most {max_pixels:,} pixels; this one declares {width}x{height}.")
    return content_type, width, height


def _check_gif(path: str, limits: ImageLimits) -> gif_layout.GifLayout:
    """Every frame of a GIF counted and measured before any is decoded (a GIF bomb declares few
    bytes and many large frames)."""
    with open(path, "rb") as fh:
        data = fh.read()    # at most the upload limit, and only block headers are looked at
    layout = gif_layout.walk(data, max_frames=limits.gif_max_frames)
    if layout.frames > limits.gif_max_frames:
        raise ImageRejected(422, "too_many_frames",
                            f"An animated GIF may have at most {limits.gif_max_frames:,} frames.")
    if layout.canvas_pixels > limits.max_pixels:
        raise ImageRejected(422, "image_too_large",
                            f"Images may have at most {limits.max_pixels:,} pixels; this GIF's frames "
                            f"cover {layout.width}x{layout.height}.")
    if layout.decoded_pixels > limits.gif_max_pixels:
        raise ImageRejected(422, "image_too_large",
                            f"An animated GIF may decode to at most {limits.gif_max_pixels:,} pixels over all "
                            f"its frames; this one has {layout.frames:,} frames of {layout.width}x{layout.height}.")
    return layout


def _to_srgb(im: Image.Image) -> Image.Image:
    """Pixels in sRGB; in place when the mode stays the same (a 64 MP image is 256 MB a copy)."""
    icc = im.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if im.mode in ("RGBA", "LA", "PA") else "RGB"
            if im.mode == mode:
                ImageCms.profileToProfile(im, src, _SRGB, outputMode=mode, inPlace=True)
                return im
            if im.mode not in ("RGB", "RGBA", "CMYK", "L"):
                im = im.convert(mode)
            return ImageCms.profileToProfile(im, src, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall through to a plain conversion
    if im.mode == "CMYK":
        return im.convert("RGB")
    return im


def _rgb(im: Image.Image) -> Image.Image:
    return im if im.mode == "RGB" else im.convert("RGB")


def _flatten(im: Image.Image) -> Image.Image:
    """RGB for JPEG variants; transparency composited on white."""
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return _rgb(im)


def _fitting_size(size: tuple[int, int], side: int) -> tuple[int, int] | None:
    """The size ``Image.thumbnail((side, side))`` gives (same rounding), or None if it fits."""
    width, height = size
    if side >= width and side >= height:
        return None
    aspect = width / height
    if aspect <= 1:
        y = side
        x = max(min(math.floor(y * aspect), math.ceil(y * aspect), key=lambda n: abs(aspect - n / y)), 1)
        return x, y
    x = side
    y = max(min(math.floor(x / aspect), math.ceil(x / aspect), key=lambda n: 0 if n == 0 else abs(aspect - x / n)), 1)
    return x, y


def scaled_size(width: int, height: int, name: str) -> tuple[int, int]:
    """The size of a picture's ``medium`` or ``small`` variant (``_variants``: small is shrunk from
    medium), computed without the picture (what API views announce)."""
    size = _fitting_size((width, height), VARIANT_SIZES["medium"]) or (width, height)
    if name == "small":
        size = _fitting_size(size, VARIANT_SIZES["small"]) or size
    return size


def _shrunk(im: Image.Image, side: int, reducing_gap: float) -> Image.Image:
    """``im`` scaled to fit a ``side`` square, as ``thumbnail`` would, without first copying it."""
    size = _fitting_size(im.size, side)
    if size is None:
        return im
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


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


def _palettized(rgba: Image.Image) -> tuple[Image.Image, int | None]:
    """A frame as GIF needs it: at most 256 colours, fully transparent pixels on one index (the
    conversion Pillow's own GIF writer makes)."""
    indexed = rgba.convert("P", palette=Image.Palette.ADAPTIVE)
    transparency = None
    if indexed.palette is not None and indexed.palette.mode == "RGBA":
        transparency = next((index for color, index in indexed.palette.colors.items() if color[3] == 0), None)
        indexed.putpalette(indexed.getpalette("RGB"), "RGB")
    return indexed, transparency


def _save_animated_gif(src: Image.Image, path: str) -> tuple[int, int, int]:
    """Re-encode an animation frame by frame: each frame is composed, converted, written and let
    go, so memory holds a few canvases whatever the frame count (Pillow's ``save_all`` keeps
    every frame until the end)."""
    canvas: tuple[int, int] | None = None
    count = 0
    with open(path, "wb") as out:
        for frame in ImageSequence.Iterator(src):
            rgba = frame.convert("RGBA")
            if canvas is None:
                canvas = rgba.size
            elif rgba.size != canvas:
                # A frame that reached past the screen grew the decoder's canvas; keep the first
                # frame's canvas, which the header declares (viewers clip to it anyway).
                rgba = rgba.crop((0, 0, *canvas))
            indexed, transparency = _palettized(rgba)
            del rgba
            params: dict = {"duration": frame.info.get("duration", 100), "disposal": 2}
            if transparency is not None:
                params["transparency"] = transparency
            if count == 0:
                header, _ = GifImagePlugin.getheader(indexed, info={"loop": src.info.get("loop", 0), **params})
                out.writelines(header)
            else:
                params["include_color_table"] = True   # each frame has its own palette
            out.writelines(GifImagePlugin.getdata(indexed, **params))
            count += 1
        out.write(b";")
    assert canvas is not None
    return canvas[0], canvas[1], count


def _upright_srgb(im: Image.Image) -> Image.Image:
    """Decoded, EXIF orientation applied, in sRGB, metadata dropped: in place where Pillow can."""
    im.load()
    ImageOps.exif_transpose(im, in_place=True)
    return _strip(_to_srgb(im))


def _variants(upright: Image.Image, out_dir: str) -> list[StoredVariant]:
    base = _flatten(upright)
    medium = _shrunk(base, VARIANT_SIZES["medium"], reducing_gap=3.0)
    del base
    small = _shrunk(medium, VARIANT_SIZES["small"], reducing_gap=2.0)
    side = VARIANT_SIZES["thumb"]
    thumb = ImageOps.fit(medium, (side, side), Image.Resampling.LANCZOS)
    variants = []
    for name, img in (("medium", medium), ("small", small), ("thumb", thumb)):
        path = os.path.join(out_dir, f"{name}.jpg")
        size = _save(img, path, JPEG, JPEG_QUALITY[name])
        variants.append(StoredVariant(name, path, JPEG, img.width, img.height, size))
    return variants


def process_image(src: str, out_dir: str, limits: ImageLimits) -> ProcessedImage:
    """Validate ``src`` and write every variant into ``out_dir``.

    Peak memory is about two decoded copies of the image (its pixels, transformed in place where
    possible, and the JPEG encoder's buffers), so a 64 MP photo fits a 1 GiB worker."""
    content_type, _, _ = check_header(src, limits)
    original_path = os.path.join(out_dir, f"original.{_EXT[content_type]}")
    try:
        opened = Image.open(src)
    except _CORRUPT as exc:
        raise ImageRejected(422, "corrupt_image", f"The image could not be read: {exc}.") from None
    with opened as im:
        try:
            if content_type == GIF and im.is_animated:
                # Animated: kept animated (and GIFs carry no orientation); variants use frame one.
                width, height, frames = _save_animated_gif(im, original_path)
                im.seek(0)
                upright = im.convert("RGBA")
            else:
                frames = 1
                upright = _upright_srgb(im)
                width, height = upright.size
                stored = _rgb(upright) if content_type == JPEG else upright
                _save(stored, original_path, content_type, JPEG_QUALITY["original"])
                del stored
        except _CORRUPT as exc:
            raise ImageRejected(422, "corrupt_image", f"The image is truncated or corrupt: {exc}.") from None
        variants = [StoredVariant("original", original_path, content_type, width, height,
                                  os.path.getsize(original_path))]
        variants += _variants(upright, out_dir)
    return ProcessedImage(content_type, width, height, frames, variants)
