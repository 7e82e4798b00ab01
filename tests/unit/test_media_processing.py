import pytest
from PIL import Image

from media.detect import GIF, JPEG, PNG, sniff
from media.hashtags import parse_hashtags
from media.process import ImageLimits, ImageRejected, check_header, process_image
from tests import images

MAX_PIXELS = 50_000_000
LIMITS = ImageLimits(MAX_PIXELS, gif_max_frames=100, gif_max_pixels=100_000_000)


def _write(tmp_path, data: bytes, name: str = "upload.bin"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _process(tmp_path, data: bytes):
    out = tmp_path / "out"
    out.mkdir()
    return process_image(_write(tmp_path, data), str(out), LIMITS)


def test_types_are_decided_by_bytes():
    assert sniff(images.jpeg()[:16]) == JPEG
    assert sniff(images.png()[:16]) == PNG
    assert sniff(images.gif()[:16]) == GIF
    assert sniff(images.webp()[:16]) is None and sniff(images.SVG[:16]) is None


def test_a_rotated_jpeg_comes_out_upright(tmp_path):
    # Stored 64x48 (red left, blue right) with "rotate 90 CW to display": upright it is 48x64.
    result = _process(tmp_path, images.jpeg(64, 48, orientation=6))
    assert (result.width, result.height) == (48, 64)
    with Image.open(next(v.path for v in result.variants if v.name == "original")) as im:
        assert im.size == (48, 64)
        top, bottom = im.getpixel((24, 4)), im.getpixel((24, 60))
    assert top[0] > 200 and top[2] < 60, "red half on top after rotation"
    assert bottom[2] > 200 and bottom[0] < 60


def test_no_variant_keeps_gps_or_any_metadata(tmp_path):
    result = _process(tmp_path, images.jpeg(400, 300, gps=True, orientation=1))
    assert {v.name for v in result.variants} == {"original", "medium", "small", "thumb"}
    for variant in result.variants:
        with open(variant.path, "rb") as fh:
            assert images.has_metadata(fh.read()) == [], variant.name


def test_variants_have_their_sizes(tmp_path):
    result = _process(tmp_path, images.jpeg(2400, 1600))
    sizes = {v.name: (v.width, v.height) for v in result.variants}
    assert sizes == {"original": (2400, 1600), "medium": (1080, 720), "small": (320, 213), "thumb": (150, 150)}


def test_png_keeps_its_type_and_transparency_in_the_original(tmp_path):
    result = _process(tmp_path, images.png())
    original = next(v for v in result.variants if v.name == "original")
    assert original.content_type == PNG
    with Image.open(original.path) as im:
        assert im.mode == "RGBA"


def test_an_animated_gif_stays_animated(tmp_path):
    result = _process(tmp_path, images.gif(frames=4))
    assert result.content_type == GIF and result.frames == 4
    with Image.open(next(v.path for v in result.variants if v.name == "original")) as im:
        assert im.n_frames == 4


@pytest.mark.parametrize("data,status,code", [
    (b"just some text, named photo.jpg", 415, "unsupported_media_type"),
    (images.SVG, 415, "unsupported_media_type"),
    (images.webp(), 415, "unsupported_media_type"),
    (images.png_declaring(50_000, 50_000), 422, "image_too_large"),
])
def test_refused_by_header_alone(tmp_path, data, status, code):
    with pytest.raises(ImageRejected) as info:
        check_header(_write(tmp_path, data), LIMITS)
    assert (info.value.status, info.value.code) == (status, code)


def test_a_truncated_jpeg_is_corrupt(tmp_path):
    with pytest.raises(ImageRejected) as info:
        _process(tmp_path, images.truncated_jpeg())
    assert (info.value.status, info.value.code) == (422, "corrupt_image")


def test_rejections_survive_pickling_across_the_pool():
    import pickle
    err = pickle.loads(pickle.dumps(ImageRejected(422, "corrupt_image", "bad")))
    assert (err.status, err.code, err.message) == (422, "corrupt_image", "bad")


@pytest.mark.parametrize("caption,tags", [
    ("Sunset #Beach #beach #SUNSET", ["beach", "sunset"]),
    ("#café au lait #Ümlaut", ["café", "ümlaut"]),
    ("no tags here, not#this, &#38; #1 #2024goals", ["2024goals"]),
    ("emoji 🌅#sky🌅 #東京", ["sky", "東京"]),
])
def test_hashtags_are_parsed_casefolded_and_deduplicated(caption, tags):
    assert parse_hashtags(caption) == tags
