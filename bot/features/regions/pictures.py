"""The pictures pickers draw their grid over: downloaded once, a few kept (a small LRU)."""

from __future__ import annotations

import io
from collections import OrderedDict

import httpx
from PIL import Image as PILImage

from bot.core.domain import Image
from bot.media.hosting import MAX_IMAGE_BYTES, download

CACHED = 32  # pictures kept (each up to a few hundred KB)


class PictureCache:
    def __init__(self, http: httpx.AsyncClient, size: int = CACHED) -> None:
        self._http = http
        self._size = size
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    async def preview(self, image: Image) -> bytes:
        """The picture as the chat shows it (its preview size)."""
        data = self._kept.get(image.image_id)
        if data is None:
            data = self._kept[image.image_id] = await download(self._http, image.image_url, MAX_IMAGE_BYTES)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        self._kept.move_to_end(image.image_id)
        return data

    async def full_size(self, image: Image) -> tuple[int, int]:
        """The full-size picture's width and height, which the mask must match exactly: measured
        when upstream did not say."""
        if image.raw_image_width and image.raw_image_height:
            return image.raw_image_width, image.raw_image_height
        data = await download(self._http, image.raw_image_url or image.image_url, MAX_IMAGE_BYTES * 3)
        with PILImage.open(io.BytesIO(data)) as picture:
            return picture.size
