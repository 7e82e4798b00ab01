"""Video posts from "processing" to "ready" (or "failed"): the transcodes, and who drives them.

Publishing (usecases/publisher.py) stores each video's source in S3 as it came
(``media/<id>/source.<ext>``) and commits the post ``processing``; nobody but its author sees it.
Then one gateway drives it: it holds a lease on the post in Redis (refreshed while it works),
submits one Ray task per video (media/transcode_task.py: resources declared, retried by Ray when
its worker dies) and awaits them. When every video is done, one Neo4j transaction records the
renditions and poster and makes the post ready, and the post is announced exactly as a photo post
is (``usecases.publisher.Announcer``: fan-out with live events, search). A video the task could not
use fails the post, with the reason on it, and gives its quota slot back.

Durability: the post's state in Neo4j is the pending record. If the driving gateway dies, its
lease lapses and any gateway's sweep (at start-up, then every ``video_sweep_s``) takes the post
over and submits its tasks again; they are idempotent on their output keys, and only one
``mark_ready`` can move a post out of "processing", so a post is announced once.

Limits on the work itself: each transcode has a wall-clock deadline (``transcode_deadline_s``:
a base plus so much per second of video), counted from when its task starts on a worker (time
queued in Ray is not the video's fault); at the deadline the driver cancels the task with force
(its worker and the transcoding child die) and the video fails ``video_too_slow``, with its
objects deleted once the task is gone. An account has at most ``video_max_per_post`` videos
transcoding at once (stores/video_slots.py: taken atomically where a video is accepted, held
while driven, given back when it is ready or failed).

A video uploaded before its post (the Mastodon API's ``POST /api/v2/media``,
usecases/media_library.py) is driven the same way, with the same task, lease and sweep: its
staged Media node is the pending record (graph/staged_media.py), and it is ready (postable) or
failed on its own; nothing is announced, as no post exists yet.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable

import ray
import ray.exceptions
from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from core.clock import now_ms
from core.config import Settings
from core.tasks import OnePerKey
from graph import posts, staged_media
from core import live_protocol as protocol
from media import storage, transcode_task
from media.detect import MOV, MP4, WEBM
from media.process import ImageLimits
from media.video import probe
from media.video_plan import HIGH, LOW, ProbedVideo, VideoLimits, transcode_deadline_s
from stores.leases import Lease
from stores.event_log import EventLog
from stores.post_bodies import PostBodies
from stores.profile_marks import ProfileMarks
from stores.quotas import PostQuotas
from stores.video_slots import VideoSlots

from .periodic import Periodic
from .publisher import Announcer
from .transcode_clock import AttemptClock

log = logging.getLogger(__name__)

_EXT = {MP4: "mp4", MOV: "mov", WEBM: "webm"}
# Ray's word that a task failed for good: its exception after every retry, or its worker lost
# more often than the retries allow. Anything else (this driver cut off from the cluster) leaves
# the post processing for a sweep to retry.
_TASK_FAILED = (ray.exceptions.RayTaskError, ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.OutOfMemoryError, ray.exceptions.TaskUnschedulableError)

# How often the driver looks whether a task has started (the deadline counts from then), and how
# long it waits for a cancelled task's worker to be gone before deleting what it may have written.
START_POLL_S = 0.5
CANCEL_SETTLE_S = 15.0

Submit = Callable[..., Any]
# What one drive is for: a processing post, or a staged (not yet posted) video.
POST, STAGED = "post", "staged"


class VideoPosts:
    def __init__(self, driver: AsyncDriver, redis: Redis, s3: Any, settings: Settings, quotas: PostQuotas,
                 bodies: PostBodies, announcer: Announcer, events: EventLog,
                 submit: Submit = transcode_task.submit, *, profile_marks: ProfileMarks) -> None:
        self.driver, self.redis, self.s3, self.settings, self.events = driver, redis, s3, settings, events
        self.bucket = settings.s3_bucket
        self.quotas, self.bodies, self.announcer, self.submit = quotas, bodies, announcer, submit
        self.profile_marks = profile_marks
        self.limits = VideoLimits.from_settings(settings)
        self.image_limits = ImageLimits.from_settings(settings)
        self.max_per_post = settings.video_max_per_post
        self.probe = probe                      # run by usecases/media_ingest.py in the media pool
        # A slot lapses unless refreshed: long enough for a sweep to take over a dead gateway's video.
        self.slots = VideoSlots(redis, settings.video_max_per_post,
                                ttl_ms=int(3 * settings.video_lease_s * 1000 + settings.video_sweep_s * 1000))
        self._driving = OnePerKey()

    # --- publishing -----------------------------------------------------------------------------
    def source_item(self, media_id: int, position: int, probed: ProbedVideo,
                    path: str) -> tuple[dict[str, Any], tuple[str, str, str]]:
        """The Media node of a video not transcoded yet, and its source's upload (key, path, type)."""
        key = transcode_task.source_key(media_id, _EXT[probed.content_type])
        width, height = probed.upright
        item = {"id": media_id, "position": position, "type": "video", "width": width, "height": height,
                "content_type": probed.content_type, "keys": [], "source_key": key,
                "duration_s": round(probed.duration_s, 3) if probed.duration_s is not None else None}
        return item, (key, path, probed.content_type)

    async def started(self, post_id: int) -> None:
        """A processing post was committed: drive it from this process (in the background)."""
        self._spawn((POST, post_id))

    def staged(self, media_id: int) -> None:
        """A staged video was committed processing: transcode it from this process (background)."""
        self._spawn((STAGED, media_id))

    # --- driving --------------------------------------------------------------------------------
    def _spawn(self, what: tuple[str, int]) -> None:
        self._driving.start(what, lambda: self._drive(what))

    async def wait(self, post_id: int) -> None:
        """Until this process stops driving the post (tests and the benchmark)."""
        await self._driving.wait((POST, post_id))

    async def wait_staged(self, media_id: int) -> None:
        """Until this process stops driving the staged video (the v1 media upload waits)."""
        await self._driving.wait((STAGED, media_id))

    async def _drive(self, what: tuple[str, int]) -> None:
        kind, ident = what
        lease = redis_keys.video_lease if kind == POST else redis_keys.staged_video_lease
        held = Lease(self.redis, lease(ident), int(self.settings.video_lease_s * 1000))
        acquiring = asyncio.ensure_future(held.take())
        try:
            acquired = await asyncio.shield(acquiring)
        except asyncio.CancelledError:
            # Stopped while taking the lease (a shutdown right after an upload): the SET still
            # lands, so give back what it took rather than make the next gateway wait it out.
            try:
                if await acquiring:
                    await held.release()
            except Exception:
                pass        # it lapses on its own
            raise
        if not acquired:
            return          # another gateway drives it
        async with held.kept():
            try:
                if kind == POST:
                    await self._complete(ident)
                else:
                    await self._complete_staged(ident)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("video %s %s: transcodes not completed; a sweep will retry", kind, ident)

    async def _complete(self, post_id: int) -> None:
        videos = await posts.processing_videos(self.driver, post_id)
        if not videos:
            return          # ready, failed or deleted meanwhile
        owner, ids = videos[0]["author_id"], [v["id"] for v in videos]
        async with self._holding(owner, ids):
            results = await asyncio.gather(*(self._transcode(v) for v in videos))
        failed = next((r for r in results if not r["ok"]), None)
        if failed is not None:
            await self._fail(post_id, failed["code"], failed["message"])
        elif (post := await posts.mark_ready(self.driver, post_id, results)) is None:
            # Deleted while transcoding (its delete removed the source): the outputs go too.
            await self._delete([k for r in results for k in r["poster_keys"] + r["rendition_keys"]])
        else:
            await self.bodies.forget(post_id)
            await self._delete([v["source_key"] for v in videos])
            await self.announcer.published(post)

    @contextlib.asynccontextmanager
    async def _holding(self, owner: int, media_ids: list[int]):
        """The account's transcoding slots for these videos, kept from lapsing while they transcode
        and given back once every transcode has an outcome, before the post or upload changes
        state: whoever sees it ready or failed finds the slots free (a crash before then leaves
        them to lapse, or to the sweep that takes the video over and holds them again)."""
        await self.slots.hold(owner, media_ids)

        async def keep() -> None:
            while True:
                await asyncio.sleep(self.slots.ttl_ms / 4000)
                try:
                    await self.slots.hold(owner, media_ids)
                except Exception as exc:
                    log.warning("video slots of %s not refreshed: %s", owner, exc)

        keeper = asyncio.create_task(keep())
        try:
            yield
        finally:
            keeper.cancel()
            # Awaited, so a refresh in flight cannot land after the slots are given back.
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await self.slots.give_back(owner, media_ids)

    async def _transcode(self, video: dict[str, Any]) -> dict[str, Any]:
        """One video's task, submitted and awaited within its deadline."""
        media_id = video["id"]
        deadline_s = transcode_deadline_s(video.get("duration_s"), self.limits, self.settings.video_deadline_s,
                                          self.settings.video_deadline_per_s)
        begun = await self._attempts(media_id)
        ref = self.submit(self.settings, media_id, video["source_key"], self.limits, self.image_limits, deadline_s)
        return await self._outcome(ref, media_id, deadline_s, begun)

    async def _complete_staged(self, media_id: int) -> None:
        video = await staged_media.processing_video(self.driver, media_id)
        if video is None:
            return          # ready, failed or deleted meanwhile
        async with self._holding(video["owner_id"], [media_id]):
            result = await self._transcode(video)
        await self._settle_staged(media_id, video, result)

    async def _settle_staged(self, media_id: int, video: dict[str, Any], result: dict[str, Any]) -> None:
        if not result["ok"]:
            info = await staged_media.mark_failed(self.driver, media_id, result["code"], result["message"])
            if info is not None:
                poster, renditions = transcode_task.output_keys(media_id, [HIGH, LOW])
                await self._delete([k for k in [info["source_key"]] if k] + poster + renditions)
            return
        if await staged_media.mark_ready(self.driver, media_id, result) is None:
            # Deleted while transcoding (a day-old upload): its outputs go too.
            await self._delete(result["poster_keys"] + result["rendition_keys"])
            return
        await self._delete([video["source_key"]])

    async def _attempts(self, media_id: int) -> int | None:
        """How many attempts at this video's task have begun (each task counts its own start)."""
        try:
            return int(await self.redis.hget(redis_keys.video_attempts(media_id), "attempts") or 0)
        except Exception as exc:
            log.warning("video attempts of media %s not read: %s", media_id, exc)
            return None

    async def _outcome(self, ref, media_id: int, deadline_s: float, begun: int | None) -> dict[str, Any]:
        """The task's result, or a failure once an attempt ran past ``deadline_s`` (the task is then
        cancelled with force, and gone, before this returns: nothing it wrote can land after the
        caller deletes its outputs)."""
        loop = asyncio.get_running_loop()
        clock = AttemptClock(deadline_s, begun)
        waiter = asyncio.ensure_future(_result(ref))
        try:
            while True:
                done, _ = await asyncio.wait({waiter}, timeout=clock.wait_s(loop.time(), START_POLL_S))
                if done:
                    return waiter.result()
                if clock.expired(await self._attempts(media_id), loop.time()):
                    await self._cancel(ref, waiter, media_id)
                    return {"ok": False, "media_id": media_id, "code": "video_too_slow",
                            "message": f"Transcoding this video took longer than {deadline_s:g} s."}
        except _TASK_FAILED as exc:
            log.warning("transcode of media %s failed for good: %s", media_id, type(exc).__name__)
            return {"ok": False, "media_id": media_id, "code": "transcode_failed",
                    "message": "The video could not be transcoded."}
        finally:
            if not waiter.done():
                waiter.cancel()

    async def _cancel(self, ref, waiter: asyncio.Future, media_id: int) -> None:
        log.warning("transcode of media %s ran past its deadline: cancelled", media_id)
        try:
            await asyncio.to_thread(ray.cancel, ref, force=True)
        except Exception as exc:
            log.warning("transcode of media %s not cancelled: %s", media_id, exc)
        # Wait for the worker to be gone (the ref then fails) so no upload of it lands later.
        await asyncio.wait({waiter}, timeout=CANCEL_SETTLE_S)
        if waiter.done() and not waiter.cancelled():
            waiter.exception()          # retrieved: a cancelled task's error is expected

    async def _fail(self, post_id: int, code: str, message: str) -> None:
        info = await posts.mark_failed(self.driver, post_id, code, message)
        if info is None:
            return
        await self.quotas.give_back(info["author_id"], info["created_at"])
        await self.profile_marks.author_changed(info["author_id"])     # the author's grid shows it failed
        # The author's app shows the post as processing: tell it (a ready post reaches the author
        # as their own feed's feed.post; a failed one has no feed to go through).
        await self.events.append(info["author_id"], protocol.post_failed(post_id, code, message))
        leftovers = list(info["sources"])
        for media_id in info["media_ids"]:
            poster, renditions = transcode_task.output_keys(media_id, [HIGH, LOW])
            leftovers += poster + renditions
        await self._delete(leftovers)

    async def _delete(self, keys: list[str]) -> None:
        try:
            await storage.delete_keys(self.s3, self.bucket, keys)
        except Exception:
            log.warning("could not delete %d video objects; the orphan sweeper will once unreferenced", len(keys))

    # --- the sweep ------------------------------------------------------------------------------
    async def sweep(self) -> int:
        """Take over processing posts and staged videos nobody drives (their lease lapsed); how
        many were found."""
        ids = await posts.processing_post_ids(self.driver, created_before_ms=now_ms())
        for post_id in ids:
            self._spawn((POST, post_id))
        staged = await staged_media.processing_ids(self.driver, staged_before_ms=now_ms())
        for media_id in staged:
            self._spawn((STAGED, media_id))
        return len(ids) + len(staged)

    async def run_sweeps(self) -> None:
        await Periodic("video", self.settings.video_sweep_s, self.sweep, first_now=True).run()

    async def close(self) -> None:
        """Stop driving (shutdown): leases are released, so another gateway takes over at once."""
        await self._driving.close()


async def _result(ref) -> dict[str, Any]:
    return await ref
