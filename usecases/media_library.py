"""Media uploaded before the post that uses them (the Mastodon API's flow).

Uploading ingests a file exactly as a post's files are (usecases/media_ingest.py: sniffed,
checked, processed in the media pool, every variant under media/storage.py's keys), then records
it as a staged ``:Media`` node owned by the uploader (graph/staged_media.py), which keeps the
orphan sweeper away from its objects. Publishing a status from staged media is
usecases/publisher.py's ``publish_staged``.

A video (probed against the same limits as a v1 video post's) is staged ``processing`` with its
source stored as it came; the transcode runs as the same Ray task a video post's does, driven
(lease, retries, the sweep that takes over from a dead gateway) by usecases/video_posts.py. Until
it is done the upload cannot be posted.
"""
from __future__ import annotations

from typing import Any

from neo4j import AsyncDriver

from core.clock import now_ms
from graph import staged_media

from .media_ingest import MediaIngest

# Staged uploads nobody posted are deleted after this long (Mastodon keeps them a day too).
STAGED_TTL_MS = 24 * 3600 * 1000


class MediaLibrary:
    def __init__(self, driver: AsyncDriver, ingest: MediaIngest) -> None:
        self.driver, self.ingest = driver, ingest
        # usecases.video_posts.VideoPosts (or None): drives a staged video to ready.
        self.videos = ingest.videos

    async def upload(self, owner_id: int, path: str, description: str, workdir: str) -> dict[str, Any]:
        """The staged media record (``keys`` in VARIANTS order, as a post's media); a video's is
        ``state: "processing"`` with no keys yet. A staged upload costs no post quota (nothing is
        published yet), but a video takes a transcoding slot like a post's."""
        async with self.ingest.stored(owner_id, [path], workdir) as got:
            media = {**got.media[0], "alt": description}
            if got.probed:
                fps = got.probed[0].fps
                media.update(state="processing", fps=round(fps, 3) if fps else None)
            staged = await staged_media.stage(self.driver, owner_id=owner_id, now_ms=now_ms(), media=media)
        if got.probed:
            self.videos.staged(media["id"])
        return staged

    async def settled(self, owner_id: int, media_id: int) -> dict[str, Any] | None:
        """The upload once this process stops transcoding it (ready or failed; still processing
        when another gateway drives it): what the synchronous v1 upload answers with."""
        if self.videos is not None:
            await self.videos.wait_staged(media_id)
        return await staged_media.owned(self.driver, owner_id, media_id)

    async def describe(self, owner_id: int, media_id: int, description: str) -> dict[str, Any] | None:
        return await staged_media.describe(self.driver, owner_id, media_id, description)

    async def forget_stale(self) -> int:
        """Delete staged uploads older than a day (their objects go with the next orphan sweep)."""
        return await staged_media.delete_stale(self.driver, now_ms() - STAGED_TTL_MS)
