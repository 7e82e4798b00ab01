"""The GIF header walker and the limits it enforces, and the pool's CPU budget arithmetic."""
import io
import struct

import pytest
from PIL import Image

from media import gif
from media.process import ImageLimits, ImageRejected, check_header, process_image
from tests import images

LIMITS = ImageLimits(max_pixels=64_000_000, gif_max_frames=1000, gif_max_pixels=100_000_000)


def _pillow_frames(data: bytes) -> tuple[int, tuple[int, int]]:
    """Frames and canvas as Pillow's decoder sees them (it grows the canvas while seeking)."""
    with Image.open(io.BytesIO(data)) as im:
        frames = im.n_frames
        for index in range(frames):
            im.seek(index)
        return frames, im.size


def _write(tmp_path, data: bytes) -> str:
    path = tmp_path / "upload.gif"
    path.write_bytes(data)
    return str(path)


def test_the_walker_agrees_with_pillow_on_an_ordinary_animation():
    data = images.gif(frames=5, size=32)
    layout = gif.walk(data, max_frames=100)
    assert (layout.frames, (layout.width, layout.height)) == _pillow_frames(data) == (5, (32, 32))
    assert layout.decoded_pixels == 5 * 32 * 32


def test_a_bomb_of_tiny_frames_is_measured_by_its_canvas():
    # The finding: 959 bytes, 40 frames, each composed onto a 2000x2000 canvas by the decoder.
    data = images.gif_declaring(2000, 2000, 40)
    assert len(data) < 1000
    layout = gif.walk(data, max_frames=1000)
    assert (layout.frames, layout.width, layout.height) == (40, 2000, 2000)
    assert layout.decoded_pixels == 160_000_000
    assert (layout.frames, (layout.width, layout.height)) == _pillow_frames(data)


def test_counting_stops_just_past_the_limit_so_a_flood_of_frames_is_cheap():
    data = images.gif_declaring(8000, 8000, 600_000, delays=False)   # ~9 MB
    layout = gif.walk(data, max_frames=1000)
    assert layout.frames == 1001          # how fast that is: bench/media_limits.py


def test_a_frame_reaching_past_the_screen_grows_the_canvas_as_pillow_does():
    data = bytearray(images.gif_declaring(10, 10, 2))
    second = data.rindex(b",")
    data[second + 1:second + 9] = struct.pack("<HHHH", 30, 5, 20, 40)    # left, top, width, height
    layout = gif.walk(bytes(data), max_frames=10)
    assert (layout.width, layout.height) == (50, 45)
    assert (layout.frames, (layout.width, layout.height)) == _pillow_frames(bytes(data))


def test_junk_between_blocks_hides_no_frame():
    # Pillow skips bytes that start no block, one by one; a frame behind them is still a frame.
    data = images.gif_declaring(16, 16, 2)
    hidden = data[:-1] + b"\x00junk\x07" + data[data.index(b"!\xf9"):-1] + b";"
    assert gif.walk(hidden, max_frames=10).frames == 4 == _pillow_frames(hidden)[0]


def test_extensions_and_their_sub_blocks_are_skipped():
    comment = b"!\xfe" + b"\x05hello" + b"\x03 ,;" + b"\x00"       # a comment that contains ',' and ';'
    data = images.gif_declaring(16, 16, 3)
    first = data.index(b"!\xf9")
    data = data[:first] + comment + data[first:]
    assert gif.walk(data, max_frames=10).frames == 3 == _pillow_frames(data)[0]


def test_a_truncated_gif_counts_the_frames_it_declares():
    data = images.gif_declaring(100, 100, 10)
    fifth = [i for i in range(len(data)) if data[i:i + 5] == b",\x00\x00\x00\x00"][4]
    assert gif.walk(data[: fifth + 12], max_frames=100).frames == 5     # cut inside its pixel data


def test_what_is_not_a_gif_is_said_so():
    with pytest.raises(gif.NotAGif):
        gif.walk(images.png(), max_frames=10)
    with pytest.raises(gif.NotAGif):
        gif.walk(b"GIF89a", max_frames=10)


@pytest.mark.parametrize("data,code", [
    (images.gif_declaring(2000, 2000, 40), "image_too_large"),            # 160 MP decoded
    (images.gif_declaring(8000, 8000, 400_000, delays=False), "too_many_frames"),
    (images.gif_declaring(1001, 1000, 100), "image_too_large"),           # 100.1 MP decoded
    (images.gif_declaring(9000, 9000, 1), "image_too_large"),             # the canvas itself
])
def test_gif_bombs_are_refused_from_their_headers(tmp_path, data, code):
    with pytest.raises(ImageRejected) as info:
        check_header(_write(tmp_path, data), LIMITS)
    assert (info.value.status, info.value.code) == (422, code)


def test_an_animation_within_the_limits_passes(tmp_path):
    assert check_header(_write(tmp_path, images.gif_declaring(1000, 1000, 100)), LIMITS)[0] == "image/gif"


def test_an_animation_is_re_encoded_frame_by_frame_with_its_timing_and_transparency(tmp_path):
    frames = []
    for i in range(4):
        frame = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
        frame.paste((255, 0, 0, 255) if i % 2 else (0, 0, 255, 255), (i * 10, 0, i * 10 + 10, 30))
        frames.append(frame)
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=[50, 60, 70, 80],
                   loop=0, disposal=2, comment=b"private note")
    out = tmp_path / "out"
    out.mkdir()
    result = process_image(_write(tmp_path, buf.getvalue()), str(out), LIMITS)
    assert (result.frames, result.width, result.height) == (4, 40, 30)
    original = next(v.path for v in result.variants if v.name == "original")
    with open(original, "rb") as fh:
        assert b"private note" not in fh.read()
    with Image.open(original) as im:
        assert im.n_frames == 4 and im.info.get("loop") == 0
        for i in range(4):
            im.seek(i)
            rgba = im.convert("RGBA")
            assert im.info["duration"] == 50 + 10 * i
            painted = (255, 0, 0, 255) if i % 2 else (0, 0, 255, 255)
            assert rgba.getpixel((i * 10 + 5, 15)) == painted
            assert rgba.getpixel(((i * 10 + 25) % 40, 15))[3] == 0, "transparent elsewhere"

