"""Real (tiny-cost) images for the fakes and tests.

Solid colour plus optional text: real PNG/JPEG bytes that Pillow, Telegram clients and the bot
can decode, cheap enough to produce at 1024x1024 in a few milliseconds.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

Color = tuple[int, int, int]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def _render(width: int, height: int, color: Color, text: str | None, fmt: str, **save: object) -> bytes:
    image = Image.new("RGB", (width, height), color)
    if text:
        ink = (0, 0, 0) if sum(color) > 380 else (255, 255, 255)
        ImageDraw.Draw(image).text((max(2, width // 64), max(2, height // 64)), text, fill=ink)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def make_png(width: int, height: int, color: Color = (90, 120, 200), text: str | None = None) -> bytes:
    """A PNG of ``width`` x ``height`` (fast compression: size is irrelevant here)."""
    return _render(width, height, color, text, "PNG", compress_level=1)


def make_jpeg(width: int, height: int, color: Color = (90, 120, 200), text: str | None = None) -> bytes:
    """A baseline JPEG of ``width`` x ``height``."""
    return _render(width, height, color, text, "JPEG", quality=85)


def sniff_image(data: bytes) -> str | None:
    """File extension for PNG / JPEG / WEBP / GIF bytes, else None (a magic-number check)."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) if Pillow can decode ``data``, else None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return None


def thumbnail_jpeg(data: bytes, box: int = 320) -> bytes | None:
    """A JPEG thumbnail fitting ``box`` (what Telegram adds as the small PhotoSize), or None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            small = image.convert("RGB")
            small.thumbnail((box, box))
    except Exception:
        return None
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()
