"""User pictures → public URLs that Midjourney can fetch, without ever exposing the bot token.

Telegram file URLs contain the token, so the bytes are downloaded by the bot (through an injected
`fetch`), checked to be a real JPEG/PNG/WebP, and re-hosted: uploaded to AceData's file service,
or served by the bot itself at `{PUBLIC_URL}/media/<unguessable name>` for `MEDIA_TTL_HOURS`.
The same Telegram picture (`file_unique_id`) is hosted once and reused while it lives.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import httpx

from bot.core.domain import Picture
from bot.i18n import Msg
from bot.imagine import ImagineClient, ImagineError
from bot.store import Store

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MEDIA_NAME_MAX = 64  # our names are 32 random characters and an extension
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

Fetch = Callable[[str], Awaitable[bytes]]


class DownloadFailed(Exception):
    """A picture could not be downloaded (unreachable, an error status, cut off, or too large)."""


async def download(http: httpx.AsyncClient, url: str, limit: int) -> bytes:
    """GET a public URL into memory, refusing anything larger than `limit` bytes. Every failure is
    `DownloadFailed` (httpx's own errors are translated here, not left to callers)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with http.stream("GET", url, timeout=httpx.Timeout(60.0), follow_redirects=True) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise DownloadFailed(f"larger than {limit} bytes")
                chunks.append(chunk)
    except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as exc:
        raise DownloadFailed(f"{type(exc).__name__}: {exc}") from exc
    return b"".join(chunks)


class MediaError(Exception):
    """A picture we cannot use; `msg` tells the user what to do instead (a catalogue message).
    `retryable` when the same picture may well work later (a failed upload), not when it never will
    (a PDF)."""

    def __init__(self, key: str, *, retryable: bool = False, **args: object) -> None:
        self.msg = Msg(key, args)
        super().__init__(self.msg.text("en"))  # the log's words
        self.retryable = retryable


def sniff(data: bytes) -> str:
    """The file extension for real JPEG/PNG/WebP bytes; anything else is refused."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        raise MediaError("media.gif")
    raise MediaError("media.unusable")


class Host(Protocol):
    """Somewhere public to put picture bytes."""

    async def put(self, data: bytes, ext: str) -> str: ...


class AceDataHost:
    """AceData's file service (`POST {ACEDATA_PLATFORM_URL}/api/v1/files/`)."""

    def __init__(self, client: ImagineClient) -> None:
        self._client = client

    async def put(self, data: bytes, ext: str) -> str:
        try:
            return await self._client.upload(data, f"image.{ext}", MIME[ext])
        except ImagineError as exc:
            log.warning("file upload failed: %s", exc)
            raise MediaError("media.upload_failed", retryable=True) from exc


def media_ext(name: str) -> str | None:
    """The extension of a name we could have given a picture, or None (a path trick, or junk)."""
    if not name or len(name) > MEDIA_NAME_MAX or set(name) - _NAME_CHARS or name.startswith(".") or "." not in name:
        return None
    ext = name.rsplit(".", 1)[1]
    return ext if ext in MIME else None


class SharedHost:
    """`/media/` for replicas: the pictures live in the shared database, so whichever replica the
    balancer asks can serve any of them. Expired ones are dropped by the store's pruning."""

    def __init__(self, store: Store, public_url: str, ttl_seconds: float) -> None:
        self._store = store
        self._public = public_url.rstrip("/")
        self._ttl = ttl_seconds

    async def put(self, data: bytes, ext: str) -> str:
        name = f"{secrets.token_urlsafe(24)}.{ext}"
        await self._store.replicas.put_media(name, MIME[ext], data, self._store.replicas.clock() + self._ttl)
        return f"{self._public}/media/{name}"

    async def lookup(self, name: str) -> tuple[bytes, str] | None:
        if media_ext(name) is None:
            return None
        found = await self._store.replicas.media(name)
        return (found[1], found[0]) if found else None


class LocalHost:
    """The bot's own `/media/` route: files on disk under unguessable names, kept for a TTL."""

    def __init__(self, directory: Path, public_url: str, ttl_seconds: float) -> None:
        self._dir = directory
        self._public = public_url.rstrip("/")
        self._ttl = ttl_seconds
        directory.mkdir(parents=True, exist_ok=True)

    async def put(self, data: bytes, ext: str) -> str:
        name = f"{secrets.token_urlsafe(24)}.{ext}"
        await asyncio.to_thread((self._dir / name).write_bytes, data)  # up to 20 MB: not on the loop
        return f"{self._public}/media/{name}"

    def lookup(self, name: str) -> tuple[Path, str] | None:
        """The file behind a `/media/<name>` request, or None (unknown, malformed or expired)."""
        ext = media_ext(name)
        path = self._dir / name
        if ext is None or not path.is_file():
            return None
        if path.stat().st_mtime + self._ttl < time.time():
            return None
        return path, MIME[ext]

    async def sweep_forever(self, every: float = 3600.0) -> None:
        """Owned by the web server's lifetime: expired pictures are deleted hourly."""
        while True:
            removed = await asyncio.to_thread(self.sweep)
            if removed:
                log.info("deleted %d expired pictures", removed)
            await asyncio.sleep(every)

    def sweep(self) -> int:
        """Delete expired files; returns how many."""
        cutoff = time.time() - self._ttl
        removed = 0
        for path in self._dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


class MediaService:
    """Implements `bot.jobs.PictureHost`."""

    def __init__(self, store: Store, host: Host, fetch: Fetch, ttl_seconds: float) -> None:
        self._store = store
        self._host = host
        self._fetch = fetch
        self._ttl = ttl_seconds

    async def url_for(self, picture: Picture) -> str:
        """A public URL for the picture: hosted once per Telegram file while it lives."""
        if picture.url:
            return picture.url
        if not picture.file_id:
            raise MediaError("media.not_found")
        key = picture.file_unique_id or picture.file_id
        cached = await self._store.hosted_url(key)
        if cached:
            return cached
        try:
            data = await self._fetch(picture.file_id)
        except Exception as exc:
            log.warning("downloading a user picture failed: %s", type(exc).__name__)
            raise MediaError("media.download_failed") from exc
        if len(data) > MAX_IMAGE_BYTES:
            raise MediaError("media.too_large")
        url = await self._host.put(data, sniff(data))
        # Reuse for a little less than the host keeps it, so a reused URL never dies mid-job.
        await self._store.save_hosted(key, url, time.time() + self._ttl * 0.9)
        return url
