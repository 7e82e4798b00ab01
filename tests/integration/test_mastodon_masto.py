"""masto.js (npm, unpatched, the version tests/clients/masto/package-lock.json pins) through a
Raygram story on the Mastodon-compatible API: apps, password login, a photo with a description,
follow, home and hashtag timelines, favourite, reply, notifications, context, search, the live
user stream over a WebSocket (update, then delete), and paging through the Link header."""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from stack.installers import ensure_node_packages
from tests import images

from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration
CLIENT = Path(__file__).resolve().parents[1] / "clients" / "masto"


async def test_masto_js_story(world, mastodon_url, unique, tmp_path):
    node = await asyncio.to_thread(ensure_node_packages, CLIENT)
    ada, bob = await world.signup("mjada"), await world.signup("mjbob")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(images.jpeg(320, 240))
    tag = f"masto{unique}"
    env = {**os.environ, "RAYGRAM_MASTODON_URL": mastodon_url, "ADA_USER": ada.username, "ADA_PASS": ada.password,
           "BOB_USER": bob.username, "BOB_PASS": bob.password, "PHOTO": str(photo), "TAG": tag}
    proc = await asyncio.create_subprocess_exec(node, "story.mjs", cwd=CLIENT, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = output.decode()
    assert proc.returncode == 0, text
    seen = json.loads(text.strip().splitlines()[-1])

    assert seen["instance"]["version"].startswith("4.3.0 (compatible; Raygram")
    assert seen["verified"] == ada.username
    first = seen["posted"]["id"]
    assert seen["posted"]["media"] == [["image", "red and blue", True]]
    assert first in seen["home"] and first in seen["tag"]
    assert seen["reply"]["inReplyToId"] == first and seen["context"] == [seen["reply"]["id"]]
    assert ["favourite", bob.username, first] in seen["notifications"]
    assert ["mention", bob.username, seen["reply"]["id"]] in seen["notifications"]
    assert tag in seen["search"]["hashtags"] and first in seen["search"]["statuses"]
    # Live, then gone: the post made while Bob's stream was open arrived, and so did its deletion.
    assert seen["second"] in seen["live"] and seen["deleted"] == seen["second"] and seen["gone"] == 404
    # One status per page: the paginator followed the Link header through the whole timeline,
    # newest first, nothing repeated or skipped.
    assert len(seen["homeNow"]) >= 2
    assert [page for page in seen["pages"] if page] == [[status] for status in seen["homeNow"]]
