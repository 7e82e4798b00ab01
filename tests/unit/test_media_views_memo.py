"""A page's media views are reused within a URL window, and never across what can change them."""
from gateway.media_urls import MediaUrls
from media.signed_urls import MediaUrlSigner


def renderer(now: list[float]) -> MediaUrls:
    return MediaUrls(MediaUrlSigner(endpoint="http://127.0.0.1:9000", bucket="media", access_key="a",
                                    secret_key="s", region="us-east-1", window_s=600, clock=lambda: now[0]))


def post(**medium) -> dict:
    m = {"id": 5, "type": "image", "width": 8, "height": 8, "content_type": "image/jpeg",
         "keys": ["t", "s", "m", "o"], **medium}
    return {"id": 1, "author": {"id": 2, "username": "ada"}, "created_at": 0, "media": [m]}


def test_the_same_photo_in_the_same_window_renders_the_same_urls():
    urls = renderer([1000.0])
    first, second = urls.render([post()])[0], urls.render([post()])[0]
    assert first["media"] == second["media"] and first["media"][0]["urls"]["thumb"].startswith("http://")


def test_a_new_window_signs_new_urls():
    now = [1000.0]
    urls = renderer(now)
    before = urls.render([post()])[0]["media"][0]["urls"]["thumb"]
    now[0] += 600
    assert urls.render([post()])[0]["media"][0]["urls"]["thumb"] != before


def test_alt_text_and_a_finished_transcode_show_at_once():
    urls = renderer([1000.0])
    urls.render([post(type="video", keys=[], alt="")])
    ready = urls.render([post(type="video", alt="a cat", rendition_keys=["r"], rendition_names=["720p"],
                              rendition_widths=[8], rendition_heights=[8])])[0]["media"][0]
    assert ready["alt"] == "a cat" and ready["urls"] and ready["renditions"][0]["url"].startswith("http://")
