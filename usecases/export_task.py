"""An account's data export, built as a Ray task (on whichever node has a CPU free) and uploaded
to S3 (the layout: media/export_archive.py).

Built streaming: the zip is written to a temporary file on the worker's disk, each JSON list a
page of records at a time and each media object copied from S3 in chunks, so neither the archive
nor any one photo or video is ever held in memory; then uploaded in parts from that file. The
task is idempotent (the same key on every attempt, an upload replaces the object), so Ray may
retry it after its worker died. Secrets never travel as task arguments (the settings arrive
without them; ``Settings.with_node_secrets``).
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import zipfile
from typing import Any

import ray
from botocore.exceptions import BotoCoreError, ClientError

from core.config import Settings
from media import export_archive as layout
from media.storage import open_s3

TRANSIENT = [OSError, BotoCoreError, ClientError, ConnectionError]
MAX_RETRIES = 3
PAGE = 500
CHUNK = 1024 * 1024
PART = 16 * 1024 * 1024           # S3 multipart part size (at least 5 MB but the last)


class _JsonList:
    """A JSON array written into a zip entry one item at a time."""

    def __init__(self, handle) -> None:
        self.handle, self.first = handle, True
        handle.write(b"[")

    def add(self, item: Any) -> None:
        self.handle.write((b"\n" if self.first else b",\n") + json.dumps(item, ensure_ascii=False).encode())
        self.first = False

    def close(self) -> None:
        self.handle.write(b"\n]\n")


async def _pages(read, *args):
    after = -1
    while True:
        rows = await read(*args, after, PAGE)
        for row in rows:
            yield row
        if len(rows) < PAGE:
            return
        after = rows[-1]["id"]


async def _write(settings: Settings, user_id: int, path: str) -> dict[str, int]:
    from graph import exports
    from graph.driver import open_driver

    driver = open_driver(settings)
    counts = {"posts": 0, "media": 0}
    try:
        user = await exports.profile(driver, user_id)
        if user is None:
            raise LookupError(f"account {user_id} does not exist")
        files: list[tuple[str, str]] = []
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            zf.writestr("profile.json", json.dumps(layout.profile_record(user), ensure_ascii=False, indent=1))
            with zf.open("posts.json", "w", force_zip64=True) as handle:
                out = _JsonList(handle)
                async for post in _pages(exports.posts_page, driver, user_id):
                    record, post_files = layout.post_record(post)
                    out.add(record)
                    files.extend(post_files)
                    counts["posts"] += 1
                out.close()
            for name in layout.LISTS:
                with zf.open(f"{name}.json", "w", force_zip64=True) as handle:
                    out = _JsonList(handle)
                    if name == "comments":
                        rows = _pages(exports.comments_page, driver, user_id)
                    elif name == "likes":
                        rows = _pages(exports.likes_page, driver, user_id)
                    else:
                        rows = _pages(exports.edge_page, driver, user_id, name)
                    async for row in rows:
                        out.add(layout.list_record(name, row))
                    out.close()
            async with open_s3(settings) as s3:
                for key, entry in files:
                    response = await s3.get_object(Bucket=settings.s3_bucket, Key=key)
                    # Stored media are compressed already: kept as they are.
                    info = zipfile.ZipInfo(entry)
                    info.compress_type = zipfile.ZIP_STORED
                    async with response["Body"] as body:
                        with zf.open(info, "w", force_zip64=True) as handle:
                            while chunk := await body.read(CHUNK):
                                handle.write(chunk)
                    counts["media"] += 1
    finally:
        await driver.close()
    return counts


async def _upload(settings: Settings, path: str, key: str) -> None:
    async with open_s3(settings) as s3:
        bucket = settings.s3_bucket
        upload = await s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/zip",
                                                  CacheControl="private, max-age=604800")
        parts = []
        try:
            with open(path, "rb") as fh:
                number = 1
                while True:
                    data = fh.read(PART)
                    if not data and parts:
                        break
                    part = await s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                                PartNumber=number, Body=data)
                    parts.append({"ETag": part["ETag"], "PartNumber": number})
                    number += 1
                    if len(data) < PART:
                        break
            await s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                               MultipartUpload={"Parts": parts})
        except BaseException:
            await s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
            raise


def run_export(settings: Settings, user_id: int, key: str) -> dict[str, int]:
    fd, path = tempfile.mkstemp(prefix="raygram-export-", suffix=".zip")
    os.close(fd)
    try:
        counts = asyncio.run(_write(settings, user_id, path))
        counts["bytes"] = os.path.getsize(path)
        asyncio.run(_upload(settings, path, key))
        return counts
    finally:
        os.unlink(path)


@ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=TRANSIENT)
def build_export(settings: Settings, user_id: int, key: str) -> dict[str, int]:
    return run_export(settings.with_node_secrets(), user_id, key)


def submit(settings: Settings, user_id: int, key: str):
    """The task's ObjectRef (awaitable). Non-blocking; the caller's process must be a Ray driver."""
    return build_export.remote(settings.without_secrets(), user_id, key)
