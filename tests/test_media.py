"""Picture hosting without servers: upload and download failures, size and type checks, reuse,
the TTL sweep and the /media name rules."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from bot.core.domain import Picture
from bot.imagine import ImagineClient
from bot.media.hosting import (
    MAX_IMAGE_BYTES,
    AceDataHost,
    DownloadFailed,
    LocalHost,
    MediaError,
    MediaService,
    download,
    sniff,
)
from bot.store import Store

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def _ace(handler: httpx.MockTransport) -> ImagineClient:
    return ImagineClient(httpx.AsyncClient(transport=handler), base_url="https://api.test", token="t",
                         platform_url="https://pf.test", platform_token="pf")  # fmt: skip


async def _service(store: Store, host: object, data: bytes | Exception) -> tuple[MediaService, Store, list[str]]:
    fetched: list[str] = []

    async def fetch(file_id: str) -> bytes:
        fetched.append(file_id)
        if isinstance(data, Exception):
            raise data
        return data

    return MediaService(store, host, fetch, ttl_seconds=3600), store, fetched  # type: ignore[arg-type]


async def test_a_failed_upload_tells_the_user_to_try_again(tmp_path: Path, store: Store) -> None:
    host = AceDataHost(_ace(httpx.MockTransport(lambda r: httpx.Response(500, json={"error": "boom"}))))
    service, store, _ = await _service(store, host, PNG)
    with pytest.raises(MediaError, match="Could not upload"):
        await service.url_for(Picture("f1", "u1"))


async def test_a_failed_telegram_download_asks_to_send_it_again(tmp_path: Path, store: Store) -> None:
    service, store, _ = await _service(store, LocalHost(tmp_path / "media", "https://b.test", 60),
                                       RuntimeError("Bad Request: file is too big"))  # fmt: skip
    with pytest.raises(MediaError, match="download your picture"):
        await service.url_for(Picture("f1", "u1"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * (MAX_IMAGE_BYTES + 1), "larger than 20 MB"),
        (b"%PDF-1.7 not a picture", "not a picture"),
        (b"GIF89a" + b"0" * 10, "GIFs"),
    ],
    ids=["over-20-MB", "pdf", "gif"],  # not the bytes: a 20 MB test id slows every xdist worker
)
async def test_unusable_bytes_are_refused_before_hosting(tmp_path: Path, store: Store, data: bytes, message: str) -> None:
    host = LocalHost(tmp_path / "media", "https://b.test", 60)
    service, store, _ = await _service(store, host, data)
    with pytest.raises(MediaError, match=message):
        await service.url_for(Picture("f1", "u1"))
    assert list((tmp_path / "media").iterdir()) == []


async def test_a_picture_is_hosted_once_and_reused(tmp_path: Path, store: Store) -> None:
    uploads: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        uploads.append(request.content)
        return httpx.Response(200, json={"file_url": f"https://cdn.test/{len(uploads)}.png"})

    service, store, fetched = await _service(store, AceDataHost(_ace(httpx.MockTransport(handler))), PNG)
    first = await service.url_for(Picture("f1", "same"))
    again = await service.url_for(Picture("f2", "same"))
    assert first == again == "https://cdn.test/1.png" and fetched == ["f1"] and len(uploads) == 1
    assert await service.url_for(Picture(url="https://x.test/a.png")) == "https://x.test/a.png"


def test_the_sweep_deletes_only_expired_pictures(tmp_path: Path) -> None:
    host = LocalHost(tmp_path / "media", "https://b.test", ttl_seconds=60)
    old, fresh = tmp_path / "media" / "old.png", tmp_path / "media" / "fresh.png"
    old.write_bytes(PNG)
    fresh.write_bytes(PNG)
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert host.lookup("old.png") is None, "expired pictures are not served even before the sweep"
    assert host.sweep() == 1 and not old.exists() and fresh.exists()
    assert host.lookup("fresh.png") == (fresh, "image/png")


@pytest.mark.parametrize("name", ["", ".hidden.png", "../x.png", "a/b.png", "noext", "x.exe", "x" * 5000 + "€.png"])
def test_media_names_outside_the_rules_are_unknown(tmp_path: Path, name: str) -> None:
    assert LocalHost(tmp_path / "media", "https://b.test", 60).lookup(name) is None


async def test_download_refuses_more_than_its_limit() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"0" * 100)))
    assert len(await download(http, "https://x.test/a", 100)) == 100
    with pytest.raises(DownloadFailed, match="larger than 99"):
        await download(http, "https://x.test/a", 99)


async def test_download_failures_are_translated() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gone":
            return httpx.Response(404)
        raise httpx.ConnectError("refused", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    for url in ("https://x.test/gone", "https://x.test/down", "not a url at all"):
        with pytest.raises(DownloadFailed):
            await download(http, url, 100)


def test_sniff_knows_the_three_formats() -> None:
    assert sniff(b"\xff\xd8\xff\xe0") == "jpg" and sniff(PNG) == "png" and sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"
