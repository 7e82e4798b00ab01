"""Media URLs: SigV4 query signatures as AWS defines them, one URL per object per window."""
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.config import Config

from media.signed_urls import MediaUrlSigner, presign, signing_key, window_start

AWS_EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_the_signature_matches_the_worked_example_in_the_s3_documentation():
    url = presign(host="examplebucket.s3.amazonaws.com", path="/test.txt", access_key="AKIAIOSFODNN7EXAMPLE",
                  key=signing_key(AWS_EXAMPLE_SECRET, "20130524", "us-east-1"), region="us-east-1",
                  amz_date="20130524T000000Z", expires_s=86400, base="https://examplebucket.s3.amazonaws.com")
    assert url.endswith("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    assert "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" in url


def test_the_signature_matches_botocores_for_a_path_style_endpoint_with_a_port():
    client = botocore.session.get_session().create_client(
        "s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1", aws_access_key_id="raygram",
        aws_secret_access_key="s3cr3t/key", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    theirs = client.generate_presigned_url("get_object", Params={"Bucket": "media", "Key": "media/42/thumb.jpg"},
                                           ExpiresIn=7200)
    q = parse_qs(urlsplit(theirs).query)
    amz_date = q["X-Amz-Date"][0]
    ours = presign(host="127.0.0.1:9000", path="/media/media/42/thumb.jpg", access_key="raygram",
                   key=signing_key("s3cr3t/key", amz_date[:8], "us-east-1"), region="us-east-1",
                   amz_date=amz_date, expires_s=7200, base="http://127.0.0.1:9000")
    assert parse_qs(urlsplit(ours).query) == q
    assert urlsplit(ours).path == urlsplit(theirs).path


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(clock, window_s=3600):
    return MediaUrlSigner(endpoint="http://127.0.0.1:9000", bucket="media", access_key="a", secret_key="s",
                          region="us-east-1", window_s=window_s, clock=clock)


def test_one_url_per_object_for_the_whole_window_then_a_new_one():
    clock = Clock(1_800_000_000.0)
    urls = signer(clock)
    first = urls.url("media/1/thumb.jpg")
    clock.now += 1000
    assert urls.url("media/1/thumb.jpg") == first
    assert urls.url("media/2/thumb.jpg") != first
    clock.now = window_start(clock.now, 3600) + 3600
    assert urls.url("media/1/thumb.jpg") != first


def test_a_url_lasts_two_windows_from_its_windows_start():
    clock = Clock(1_800_000_000.0)
    q = parse_qs(urlsplit(signer(clock, window_s=60).url("media/1/thumb.jpg")).query)
    assert q["X-Amz-Expires"] == ["120"]
    assert q["X-Amz-Date"] == ["20270115T080000Z"]   # 1_800_000_000 floored to the minute, UTC
