"""The web client (web/, served at ``/``) in a real headless Chromium against the real stack.

Selenium is blocking, so each browser story runs in a thread while the test's event loop serves
the gateway (aiohttp_server: a real port on 127.0.0.1). Every story fails on any SEVERE entry of
the browser console (errors, failed requests, CSP violations)."""
from __future__ import annotations

import asyncio
import re

import pytest

from stack.installers import ensure_chromium

from .browser import Browser


@pytest.fixture(scope="module")
def chromium():
    return ensure_chromium()


@pytest.fixture
async def server(aiohttp_server, app):
    return await aiohttp_server(app, host="127.0.0.1")


def base_url(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_the_page_and_its_files_carry_the_security_headers_and_cache_rules(client):
    page = await client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-cache"
    # No inline script or style anywhere in the page: every script has a src, no style attributes.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "style=" not in html and "<style" not in html
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert any(a.endswith("/js/app.js") for a in assets) and any(a.endswith("/css/app.css") for a in assets)

    script_url = next(a for a in assets if a.endswith("/js/app.js"))
    script = await client.get(script_url, headers={"Accept-Encoding": "gzip"})
    assert script.status == 200 and "immutable" in script.headers["Cache-Control"]
    assert script.headers["Content-Security-Policy"] == csp
    assert script.headers["Content-Encoding"] == "gzip"
    again = await client.get(script_url, headers={"If-None-Match": script.headers["ETag"]})
    assert again.status == 304

    build = assets[0].split("/")[2]
    stale = await client.get(assets[0].replace(build, "0" * len(build)))
    assert stale.status == 404 and (await stale.json())["error"]["code"] == "not_found"
    assert (await client.get(f"/assets/{build}/../gateway/app.py")).status == 404
    assert (await client.get("/api/v1/openapi.json")).status == 200   # web routes are not API operations
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/" not in spec["paths"] and not any(p.startswith("/assets") for p in spec["paths"])


def _first_visit(url: str, unique: str, tmp_path) -> list[str]:
    browser = Browser(url)
    try:
        browser.open("/")
        browser.find("form.auth")                        # logged out: the login screen
        browser.click("a[href='#/signup']")
        browser.type("input[name=username]", f"web_{unique}")
        browser.type("input[name=password]", "correct horse battery")
        browser.click("form.auth button[type=submit]")
        browser.find(".feed[data-ready=true] .empty")    # signed up: an empty home feed
        assert browser.storage()["raygram.token"]

        # Uploads that cannot work say why: a type the client knows it cannot send, then a file
        # that claims to be a JPEG and is refused by the API (415), in words.
        browser.go("/new")
        (tmp_path / "notes.txt").write_text("not a photo")
        (tmp_path / "fake.jpg").write_bytes(b"this is text wearing a .jpg name")
        browser.present("#media-input").send_keys(str(tmp_path / "notes.txt"))
        browser.text_in("form.upload .error", "only JPEG, PNG or GIF photos")
        browser.present("#media-input").send_keys(str(tmp_path / "fake.jpg"))
        browser.click("form.upload button[type=submit]")
        browser.text_in("form.upload .error", "Unsupported file: Photo 1:")
        browser.click("#logout")
        browser.find("form.auth")
        assert "raygram.token" not in browser.storage()
        # The refused upload's own 415 is the one console entry expected.
        return [m for m in browser.severe() if "/api/v1/posts - Failed to load resource" not in m or "415" not in m]
    finally:
        browser.quit()


async def test_a_first_visit_signs_up_sees_refused_uploads_explained_and_logs_out(server, chromium, unique, tmp_path):
    errors = await asyncio.to_thread(_first_visit, base_url(server), unique, tmp_path)
    assert errors == []


# --- the story: two people, two browsers ------------------------------------------------------

def _photo(path, size, top, bottom, sun) -> str:
    """A small sunset-like JPEG (a vertical gradient and a disc), made here: no binary fixtures."""
    from PIL import Image, ImageDraw

    w, h = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(h):
        t = y / (h - 1)
        draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    r = min(w, h) // 6
    draw.ellipse([w // 2 - r, int(h * 0.55) - r, w // 2 + r, int(h * 0.55) + r], fill=sun)
    im.save(path, "JPEG", quality=88)
    return str(path)


def _badge(browser: Browser) -> int:
    return int(browser.js("const b = document.getElementById('badge'); return b.hidden ? 0 : Number(b.textContent)"))


def _search_until_found(browser: Browser, query: str, post_id: str) -> None:
    """The search index follows the graph asynchronously: search again until the post shows."""
    from urllib.parse import quote

    browser.go(f"/search?q={quote(query)}")

    def found(driver):
        if driver.find_elements("css selector", f".grid.results [data-post-id='{post_id}']"):
            return True
        if driver.find_elements("css selector", ".grid.results + .empty"):
            browser.js("window.dispatchEvent(new HashChangeEvent('hashchange'))")   # ask again
        return False
    browser.wait(found, message=f"search for {query!r} to find the post")


def _story(url: str, unique: str, tmp_path) -> dict[str, list[str]]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    from .browser import DESKTOP, PHONE

    ada_name, bob_name = f"ada_{unique}", f"bob_{unique}"
    word, tag = f"harbour{unique}", f"sunset{unique}"
    ada, bob = Browser(url, DESKTOP), Browser(url, PHONE)
    try:
        def sign_up(browser: Browser, username: str, display: str) -> None:
            browser.open("/signup")
            browser.type("input[name=username]", username)
            browser.type("input[name=display_name]", display)
            browser.type("input[name=password]", "correct horse battery")
            browser.click("form.auth button[type=submit]")
            browser.find(".feed[data-ready=true]")

        # Ada signs up, sets a profile photo and goes private.
        sign_up(ada, ada_name, "Ada Lovelace")
        ada.go("/settings")
        ada.present("#avatar-input").send_keys(_photo(tmp_path / "me.jpg", (400, 400), (30, 60, 120), (240, 170, 90), (255, 240, 200)))
        avatar = ada.find(".avatar-big img.avatar")
        assert "/avatars/" in avatar.get_attribute("src")
        ada.find("textarea[name=bio]").send_keys("Counting engines and sunsets.")
        ada.click("input[name=private]")
        ada.click("form.settings button[type=submit]")
        ada.present("form.settings[data-saved]")

        # Bob signs up and asks to follow her; she sees the request live and accepts it.
        sign_up(bob, bob_name, "Bob")
        bob.go(f"/u/{ada_name}")
        bob.find(".private-note")
        assert "/avatars/" in bob.find(".profile-head img.avatar").get_attribute("src")
        bob.click_text("button.follow", "Request to follow")
        bob.text_in("button.follow", "Requested")
        ada.wait(lambda d: _badge(ada) >= 1, message="Ada's badge to show the follow request")
        ada.go("/notifications")
        ada.find(f".requests li[data-username='{bob_name}']")
        ada.click(f".requests li[data-username='{bob_name}'] button.primary")
        ada.gone(f".requests li[data-username='{bob_name}']")
        ada.wait(lambda d: _badge(ada) == 0, message="Ada's badge cleared on the notifications page")

        # Bob waits on his home feed (the same page since he signed up: one live socket).
        bob.go("/")
        bob.find(".feed[data-ready=true]")

        # Ada posts two photos with alt text.
        ada.go("/new")
        files = [_photo(tmp_path / "a.jpg", (1200, 900), (255, 120, 60), (90, 30, 120), (255, 220, 120)),
                 _photo(tmp_path / "b.jpg", (900, 1200), (20, 40, 90), (250, 150, 80), (255, 250, 230))]
        ada.present("#media-input").send_keys("\n".join(files))
        alts = ["Orange sky over the harbour", "Boats at dusk, seen from the pier"]
        inputs = ada.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".preview input[name=alt]")) == 2
                          and d.find_elements(By.CSS_SELECTOR, ".preview input[name=alt]"), message="two previews")
        for field, alt in zip(inputs, alts):
            field.send_keys(alt)
        ada.find("textarea[name=caption]").send_keys(f"Evening at the {word} #{tag}")
        ada.click("form.upload button[type=submit]")
        ada.wait(lambda d: "#/p/" in d.current_url, message="the new post's page")
        post_id = ada.driver.current_url.rsplit("/", 1)[1]
        ada.find(f"article.post[data-post-id='{post_id}']")

        # Bob sees it arrive live, without reloading: the banner, then the post with its alt texts.
        bob.click("#new-posts")
        card = f".feed article[data-post-id='{post_id}']"
        bob.find(card)
        shown = [img.get_attribute("alt") for img in bob.driver.find_elements(By.CSS_SELECTOR, f"{card} .slide img")]
        assert shown == alts
        bob.screenshot("home-feed-phone")
        bob.screenshot("home-feed-desktop", DESKTOP)

        # He likes it and comments; Ada's badge rises live.
        before = _badge(ada)
        bob.click(f"{card} button.like")
        bob.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"{card} button.like").get_attribute("aria-pressed") == "true")
        bob.text_in(f"{card} .like-count", "1 like")
        bob.click(f"{card} .comments-link")
        bob.find("textarea[name=text]").send_keys("What a view!")
        bob.click("form.comment-form button[type=submit]")
        bob.text_in(".comments", "What a view!")
        ada.wait(lambda d: _badge(ada) >= before + 2, message="Ada's badge to rise by the like and the comment")

        # Ada's post, and who liked it.
        ada.driver.refresh()
        ada.text_in(".comments", "What a view!")
        ada.text_in(".like-count", "1 like")
        ada.screenshot("post-desktop")
        ada.screenshot("post-phone", PHONE)
        ada.click(".post-actions button.link")
        ada.text_in("dialog.likers", bob_name)
        ada.click("dialog.likers header button")

        # Search finds it by a caption word and by its hashtag; the hashtag has its page.
        _search_until_found(bob, word, post_id)
        _search_until_found(bob, f"#{tag}", post_id)
        bob.go(f"/tag/{tag}")
        bob.find(f".grid [data-post-id='{post_id}']")

        # Ada's profile: photo, counts, grid.
        ada.go(f"/u/{ada_name}")
        ada.find(f".grid [data-post-id='{post_id}']")
        ada.screenshot("profile-desktop")
        ada.screenshot("profile-phone", PHONE)

        # A reload resumes the stream after the last event handled: while Bob is away, Ada follows
        # him; back on the page, that notification is replayed from the log.
        bob.go("/")
        bob.find(card)
        key = "raygram.last_event." + bob.js("return JSON.parse(localStorage.getItem('raygram.user')).id")
        last_seen = int(bob.storage()[key])
        bob.driver.get("about:blank")
        ada.go(f"/u/{bob_name}")
        ada.click_text("button.follow", "Follow")
        ada.text_in("button.follow", "Following")
        bob.open("/")
        bob.find(card)
        bob.wait(lambda d: int(bob.storage().get(key, 0)) > last_seen, message="the missed event to be replayed")
        bob.wait(lambda d: _badge(bob) >= 1, message="Bob's badge to show the replayed follow")

        # Ada fixes her caption: Bob's feed shows the new one live (feed.update).
        ada.go(f"/p/{post_id}")
        ada.click("button.edit-caption")
        field = ada.find("dialog.edit-caption textarea[name=caption]")
        field.clear()
        field.send_keys(f"Evening at the {word}, fixed #{tag}")
        ada.click("dialog.edit-caption button[type=submit]")
        ada.text_in(f"article.post[data-post-id='{post_id}'] .caption", "fixed")
        bob.text_in(f"{card} .caption", "fixed")

        # Ada deletes the post: it leaves Bob's page live.
        ada.click_text("button.danger", "Delete post")
        ada.wait(EC.alert_is_present(), message="the confirmation").accept()
        bob.gone(card)

        # Bob blocks Ada from her profile: neither sees the other; he unblocks from the note.
        bob.go(f"/u/{ada_name}")
        bob.click("button.block")
        bob.wait(EC.alert_is_present(), message="the block confirmation").accept()
        bob.find(".blocked-note")
        ada.go(f"/u/{bob_name}")
        ada.text_in(".card.empty h1", "No such account")
        bob.go("/settings")
        bob.text_in(".hidden-accounts ul.blocks", ada_name)
        bob.click(f".hidden-accounts li[data-username='{ada_name}'] button")
        bob.gone(f".hidden-accounts li[data-username='{ada_name}']")
        bob.go(f"/u/{ada_name}")
        bob.find(".profile-head")

        # Ada deletes her account: her session ends, and she is gone for Bob.
        ada.go("/settings")
        ada.type("input[name=delete_password]", "correct horse battery")
        ada.click("form.delete-account button[type=submit]")
        ada.wait(EC.alert_is_present(), message="the deletion confirmation").accept()
        ada.wait(lambda d: "#/login" in d.current_url, message="the login page after the deletion")
        bob.go(f"/u/{bob_name}")
        bob.go(f"/u/{ada_name}")
        bob.text_in(".card.empty h1", "No such account")

        def unexpected(messages: list[str], *expected: str) -> list[str]:
            # The 404s of profiles hidden by the block or the deletion, and what Ada's page still
            # asked once her session had ended, are the story, not errors.
            return [m for m in messages if not any(e in m for e in expected)]
        return {"ada": unexpected(ada.severe(), f"/api/v1/users/{bob_name} - Failed to load resource", "status of 401"),
                "bob": unexpected(bob.severe(), f"/api/v1/users/{ada_name} - Failed to load resource",
                                  f"/api/v1/users/{ada_name}/posts")}
    finally:
        ada.quit()
        bob.quit()


async def test_two_people_follow_post_like_comment_search_edit_block_and_delete_live(server, chromium, unique, tmp_path):
    errors = await asyncio.to_thread(_story, base_url(server), unique, tmp_path)
    assert errors == {"ada": [], "bob": []}


# --- a video that cannot be processed ---------------------------------------------------------

def _watch_video_fail(url: str, username: str, upload) -> tuple[str, list[str]]:
    """Sign up in the browser, post a video through the API with the browser's token (a
    live-recorded WebM longer than this gateway allows, which only its transcode can tell), open
    the post, and read what its card says once the transcode gave up."""
    browser = Browser(url)
    try:
        browser.open("/signup")
        browser.type("input[name=username]", username)
        browser.type("input[name=password]", "correct horse battery")
        browser.click("form.auth button[type=submit]")
        browser.find(".feed[data-ready=true]")
        post_id = upload(browser.storage()["raygram.token"])
        browser.go(f"/p/{post_id}")
        browser.find(f"article.post[data-post-id='{post_id}']")
        card = f"article.post[data-post-id='{post_id}']"
        note = browser.find(f"{card} .failure", timeout=120)
        browser.text_in(f"{card} .processing", "Not processed")     # no longer "Video processing…"
        return note.text, browser.severe()
    finally:
        browser.quit()


async def test_the_author_sees_why_a_video_could_not_be_processed(aiohttp_server, settings, chromium, unique):
    import dataclasses

    import aiohttp

    from gateway.app import create_app
    from tests import videos

    server = await aiohttp_server(create_app(dataclasses.replace(settings, video_max_duration_s=1.0)), host="127.0.0.1")
    url = base_url(server)
    loop = asyncio.get_running_loop()

    async def post_video(token: str) -> str:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("media", videos.make(160, 120, seconds=2.5, fmt="webm", streaming=True), filename="live.webm",
                       content_type="video/webm")
        async with aiohttp.ClientSession() as http, http.post(
                f"{url}/api/v1/posts", data=form, headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 202, await resp.text()
            return (await resp.json())["id"]

    def upload(token: str) -> str:        # called from the browser's thread; the server runs on this loop
        return asyncio.run_coroutine_threadsafe(post_video(token), loop).result(60)

    text, errors = await asyncio.to_thread(_watch_video_fail, url, f"vid_{unique}", upload)
    assert text == "This video could not be processed: Videos may last at most 1 s; this one lasts longer."
    assert errors == []
