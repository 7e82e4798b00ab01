"""The S3 client for media (MinIO locally; any S3 endpoint by configuration)."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from core.config import Settings


@asynccontextmanager
async def open_s3(settings: Settings) -> AsyncIterator[object]:
    config = AioConfig(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=3,
        read_timeout=30,
        retries={"max_attempts": 2, "mode": "standard"},
    )
    async with get_session().create_client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        config=config,
    ) as client:
        yield client


async def ensure_bucket(s3, bucket: str) -> None:
    try:
        await s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    try:
        await s3.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


async def probe(s3, bucket: str) -> None:
    await s3.head_bucket(Bucket=bucket)


# --- media objects -------------------------------------------------------------------------------
# Keys are built from media ids only (never usernames): a leaked URL reveals no account, and the
# id's timestamp tells the orphan sweeper how old an object is.
MEDIA_PREFIX = "media/"


def media_key(media_id: int, variant: str, ext: str) -> str:
    return f"{MEDIA_PREFIX}{media_id}/{variant}.{ext}"


def media_id_of(key: str) -> int | None:
    """The media id in a key built by ``media_key`` (None for foreign keys)."""
    if not key.startswith(MEDIA_PREFIX):
        return None
    head = key[len(MEDIA_PREFIX):].split("/", 1)[0]
    return int(head) if head.isdigit() else None


async def put_file(s3, bucket: str, key: str, path: str, content_type: str) -> None:
    with open(path, "rb") as body:
        await s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type,
                            CacheControl="private, max-age=31536000, immutable")


async def delete_keys(s3, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):     # S3's batch limit
        batch = keys[start:start + 1000]
        if batch:
            await s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})


async def list_objects(s3, bucket: str, prefix: str):
    """Every object under ``prefix`` (S3's listing: Key, LastModified, Size), page by page."""
    paginator = s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield page.get("Contents", [])


async def list_keys(s3, bucket: str, prefix: str = MEDIA_PREFIX):
    """Every key under ``prefix``, page by page (an async generator of key lists)."""
    paginator = s3.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield [obj["Key"] for obj in page.get("Contents", [])]
