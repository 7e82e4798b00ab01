"""What decoding a GIF would cost, read from its block structure alone (no LZW decoding).

A GIF is a header, a logical screen, then a stream of blocks: extensions (``!``), images (``,``)
and a trailer (``;``), each carrying its data as length-prefixed sub-blocks. Counting the image
descriptors and skipping their sub-blocks costs one pass over the bytes and no pixel memory,
so a GIF bomb (a few hundred bytes declaring forty 2000x2000 frames, or a 10 MB file with hundreds
of thousands of frames) is measured before a single frame is decoded.

The walk mirrors Pillow's own reader (``GifImagePlugin.GifImageFile._seek``) so that both see
the same frames: bytes that introduce no block are skipped one at a time, as Pillow does, and a
frame that reaches past the logical screen grows the canvas, as Pillow does. Pillow composes
every frame onto the whole canvas, so a frame costs the canvas's pixels, not its own rectangle's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SIGNATURES = (b"GIF87a", b"GIF89a")
_SCREEN_END = 13          # signature (6) + logical screen descriptor (7)
_DESCRIPTOR_BYTES = 9     # left, top, width, height (2 bytes each) and flags
_EXTENSION, _IMAGE, _TRAILER = 0x21, 0x2C, 0x3B
# Where the next block may start: Pillow ignores any other byte between blocks.
_NEXT_BLOCK = re.compile(rb"[!,;]")


class NotAGif(ValueError):
    """The bytes do not start with a GIF header."""


@dataclass(frozen=True)
class GifLayout:
    width: int        # the canvas every frame is composed onto (the screen, grown to fit frames)
    height: int
    frames: int       # image descriptors seen (counting stops just past the caller's maximum)

    @property
    def canvas_pixels(self) -> int:
        return self.width * self.height

    @property
    def decoded_pixels(self) -> int:
        """Pixels a decoder produces for the whole animation: one canvas per frame."""
        return self.frames * self.canvas_pixels


def _u16(data: bytes, at: int) -> int:
    return data[at] | (data[at + 1] << 8)


def _color_table_bytes(flags: int) -> int:
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """The position after a run of sub-blocks and its zero terminator (or the end of the data)."""
    end = len(data)
    while pos < end:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            break
    return pos


def walk(data: bytes, max_frames: int) -> GifLayout:
    """The canvas and frame count of the GIF in ``data``.

    Stops counting at ``max_frames + 1``: that is enough to refuse the file and bounds the work of
    a file made of nothing but tiny frames. A truncated file counts the frames it declares."""
    if len(data) < _SCREEN_END or data[:6] not in _SIGNATURES:
        raise NotAGif("not a GIF file")
    width, height = _u16(data, 6), _u16(data, 8)
    pos = _SCREEN_END + _color_table_bytes(data[10])
    frames, end = 0, len(data)
    while pos < end and frames <= max_frames:
        tag = data[pos]
        if tag == _TRAILER:
            break
        if tag == _EXTENSION:
            pos = _skip_sub_blocks(data, pos + 2)          # the introducer and the label
        elif tag == _IMAGE:
            if pos + 1 + _DESCRIPTOR_BYTES > end:
                break                                      # a truncated descriptor: Pillow stops too
            left, top = _u16(data, pos + 1), _u16(data, pos + 3)
            right, bottom = left + _u16(data, pos + 5), top + _u16(data, pos + 7)
            width, height = max(width, right), max(height, bottom)
            frames += 1
            pos += 1 + _DESCRIPTOR_BYTES + _color_table_bytes(data[pos + _DESCRIPTOR_BYTES])
            pos = _skip_sub_blocks(data, pos + 1)          # the LZW code size, then the data
        else:
            found = _NEXT_BLOCK.search(data, pos + 1)
            pos = found.start() if found else end
    return GifLayout(width, height, frames)
