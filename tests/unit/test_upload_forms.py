"""The upload forms' bounds (gateway/uploads.py) and how media refusals are worded
(usecases/media_ingest.py): pure configuration and mapping, no request."""
from core.config import load_settings
from core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from gateway.routes.posts import post_form
from gateway.uploads import media_form, profile_form
from media.process import ImageRejected
from media.video_plan import VideoRejected
from usecases.media_ingest import numbered, refusal


def _settings(tmp_path):
    return load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)})


def test_each_form_bounds_its_parts_and_body(tmp_path):
    s = _settings(tmp_path)
    post = post_form(s)
    assert post.max_parts == 2 * s.media_max_parts + 4
    assert post.fields["media"].max_count == post.fields["alt"].max_count == s.media_max_parts
    assert post.fields["media"].video_max_bytes == s.video_max_bytes
    assert post.too_large().code == "payload_too_large" and post.too_many_parts().code == "too_many_parts"
    profile = profile_form(s, 24, ("header",))
    assert profile.max_bytes == 2 * s.media_max_bytes + 64 * 1024 and "header" in profile.dropped
    assert profile.drop_max_bytes == s.media_max_bytes and profile.too_large().code == "media_too_large"
    media = media_form(s)
    assert media.fields["file"].max_count == 1 and media.fields["file"].too_many is None   # a second file is dropped
    assert media.too_many_parts().status == media.nested().status == 400


def test_refusals_keep_their_status_and_code_and_name_the_file():
    err = refusal(ImageRejected(415, "unsupported_media_type", "Not a photo."), numbered(2, "Photo"))
    assert isinstance(err, UnsupportedMediaType) and err.message == "Photo 3: Not a photo."
    err = refusal(VideoRejected(413, "media_too_large", "Too big."), numbered(0, "Media"))
    assert isinstance(err, PayloadTooLarge) and (err.code, err.message) == ("media_too_large", "Media 1: Too big.")
    err = refusal(VideoRejected(422, "video_too_long", "Too long."), "")
    assert isinstance(err, ValidationFailed) and err.message == "Too long."
