"""One way in for media: an upload's received files, from bytes to objects in S3.

Used by every upload that carries pictures: a v1 post (usecases/publisher.py), an upload staged
for a Mastodon status (usecases/media_library.py) and a profile photo (usecases/avatars.py).
The steps, in order:

1. sniff: each file's first bytes say photo or video (its name and declared type prove nothing);
2. limits: videos take the account's transcoding slots (atomically, before any probe) and have
   their headers probed; then every photo's header is checked, so a bad 10th file fails the
   upload before any pixel is decoded;
3. process: photos decoded, oriented, stripped of metadata and resized;
4. store: every variant kept (a video: its source as it came) put in S3, all at once.

Probing and processing run in the media pool: a hostile file is parsed away from the event loop,
under the pool's memory and CPU limits. ``MediaIngest.stored`` is a context whose body commits
what was stored (a graph write): if a step or the body fails, every object put is deleted (once
every put has finished, so none lands after the clean-up) and the slots are given back. What a
crash leaves behind has no Media node and goes with the orphan sweeper.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

from core.errors import PayloadTooLarge, RaygramError, RateLimited, UnsupportedMediaType, ValidationFailed
from core.ids import IdGenerator
from media import storage
from media.detect import SNIFF_BYTES, sniff_video
from media.pool import MediaPool
from media.process import VARIANTS, ImageLimits, ImageRejected, ProcessedImage, check_header, process_image
from media.video_plan import ProbedVideo, VideoRejected

log = logging.getLogger(__name__)

# One object to put: (key, file, content type).
Put = tuple[str, str, str]
# The objects kept of a processed photo, given its fresh id.
Variants = Callable[[int, ProcessedImage], list[Put]]
# How a refusal names the file in its message: (position, "Photo" | "Video" | "Media") -> "" or a name.
Label = Callable[[int, str], str]


def post_variants(media_id: int, image: ProcessedImage) -> list[Put]:
    """Every variant, in VARIANTS order: views pair a media's keys with the variant names by position."""
    ordered = sorted(image.variants, key=lambda v: VARIANTS.index(v.name))
    return [(storage.media_key(media_id, v.name, v.path.rsplit(".", 1)[-1]), v.path, v.content_type)
            for v in ordered]


def numbered(position: int, what: str) -> str:
    """A post's files named by their place in it ("Photo 3")."""
    return f"{what} {position + 1}"


def refusal(err: ImageRejected | VideoRejected, label: str) -> RaygramError:
    cls = {413: PayloadTooLarge, 415: UnsupportedMediaType}.get(err.status, ValidationFailed)
    return cls(f"{label}: {err.message}" if label else err.message, code=err.code)


@dataclass
class Ingested:
    # Each file's Media properties, in order (id, position, width, height, content_type, keys; a
    # video's also type, source_key, duration_s); the caller adds alt texts.
    media: list[dict[str, Any]] = field(default_factory=list)
    probed: dict[int, ProbedVideo] = field(default_factory=dict)     # position -> what its probe found
    stored: list[str] = field(default_factory=list)                 # keys put, undone on failure
    slots: list[int] = field(default_factory=list)                  # media ids holding a transcoding slot


class MediaIngest:
    def __init__(self, ids: IdGenerator, pool: MediaPool, limits: ImageLimits, s3: Any, bucket: str,
                 videos: Any = None) -> None:
        self.ids, self.pool, self.limits, self.s3, self.bucket = ids, pool, limits, s3, bucket
        # usecases.video_posts.VideoPosts: videos are accepted only where it is wired.
        self.videos = videos

    @contextlib.asynccontextmanager
    async def stored(self, owner_id: int, paths: list[str], workdir: str, *, label: Label = lambda position, what: "",
                     variants: Variants = post_variants, videos: bool = True) -> AsyncIterator[Ingested]:
        """The files at ``paths`` processed and stored, for the body to commit; ``videos=False``
        takes every file for a photo (a video is then refused as an unsupported image)."""
        got = Ingested()
        try:
            ids = [self.ids.next_id() for _ in paths]
            positions = await self._videos_among(paths) if videos and self.videos is not None else []
            if positions:
                await self._take_slots(owner_id, [ids[i] for i in positions])
                got.slots = [ids[i] for i in positions]
            for i in positions:
                got.probed[i] = await self._run(label, i, self.videos.probe, paths[i], self.videos.limits)
            photos = [i for i in range(len(paths)) if i not in got.probed]
            images = await self._process(paths, photos, workdir, label)
            puts: list[Put] = []
            for i, path in enumerate(paths):
                if i in got.probed:
                    item, source = self.videos.source_item(ids[i], i, got.probed[i], path)
                    got.media.append(item)
                    puts.append(source)
                    continue
                kept = variants(ids[i], images[i])
                got.media.append({"id": ids[i], "position": i, "width": images[i].width,
                                  "height": images[i].height, "content_type": images[i].content_type,
                                  "keys": [key for key, _, _ in kept]})
                puts += kept
            await self._put_all(puts, got.stored)
            yield got
        except BaseException:
            await asyncio.shield(self._undo(owner_id, got))
            raise

    async def _videos_among(self, paths: list[str]) -> list[int]:
        """Which files are videos (from their bytes), within what one upload may carry."""
        heads = [await asyncio.to_thread(_read_head, path) for path in paths]
        positions = [i for i, head in enumerate(heads) if sniff_video(head) is not None]
        if len(positions) > self.videos.max_per_post:
            raise ValidationFailed(f"A post may have at most {self.videos.max_per_post} videos.",
                                   code="too_many_videos")
        return positions

    async def _take_slots(self, owner_id: int, media_ids: list[int]) -> None:
        """The account's cap on videos transcoding at once (stores/video_slots.py), or 429; the
        driver gives the slots back when the video is ready or failed."""
        if not await self.videos.slots.take(owner_id, media_ids):
            cap = self.videos.slots.cap
            raise RateLimited(f"At most {cap} videos may be processing at once; try again when one is done.",
                              retry_after=5, code="too_many_processing")

    async def _run(self, label: Label, position: int, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` in the media pool, its refusal in the contract's terms."""
        try:
            return await self.pool.run(fn, *args)
        except (ImageRejected, VideoRejected) as err:
            what = "Media" if err.status == 413 else "Video" if isinstance(err, VideoRejected) else "Photo"
            raise refusal(err, label(position, what)) from None

    async def _process(self, paths: list[str], photos: list[int], workdir: str,
                       label: Label) -> dict[int, ProcessedImage]:
        # Every header first: a bad 10th file fails the upload before any pixel is decoded.
        for i in photos:
            await self._run(label, i, check_header, paths[i], self.limits)
        outs = {i: os.path.join(workdir, f"out-{i}") for i in photos}
        for out in outs.values():
            os.mkdir(out)
        results = await asyncio.gather(*(self._run(label, i, process_image, paths[i], outs[i], self.limits)
                                         for i in photos), return_exceptions=True)
        _raise_first(results)
        return dict(zip(photos, results))

    async def _put_all(self, puts: list[Put], stored: list[str]) -> None:
        async def put(key: str, path: str, content_type: str) -> None:
            await storage.put_file(self.s3, self.bucket, key, path, content_type)
            stored.append(key)

        # Let every put finish (or fail) before undoing, so none lands after the clean-up.
        _raise_first(await asyncio.gather(*(put(*p) for p in puts), return_exceptions=True))

    async def _undo(self, owner_id: int, got: Ingested) -> None:
        if got.stored:
            try:
                await storage.delete_keys(self.s3, self.bucket, got.stored)
            except Exception:
                log.warning("could not delete %d objects of a failed upload; the orphan sweeper will",
                            len(got.stored))
        if got.slots:
            try:
                await self.videos.slots.give_back(owner_id, got.slots)
            except Exception as exc:
                log.warning("video slots of %s not given back (they lapse): %s", owner_id, exc)


def _read_head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


def _raise_first(outcomes: list[Any]) -> None:
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
