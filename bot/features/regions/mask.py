"""Vary (Region) pictures, drawn with Pillow: the picker overlay and the mask sent upstream.

The picture is cut into GRID × GRID cells numbered 1… row by row from the top left. Cell edges are
integer partitions of the size (`edge(i) = i * size // GRID`), so the cells cover every pixel once,
at any size, and the overlay and the full-size mask always agree.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable

from PIL import Image, ImageDraw, ImageFont

from bot.core.callbacks import CELLS, GRID  # one definition of the grid: the buttons'

__all__ = ["CELLS", "GRID", "BadDrawing", "cell_box", "mask_base64", "mask_from_drawing", "mask_png", "overlay_jpeg"]
OVERLAY_MAX_SIDE = 1024


def cell_box(cell: int, width: int, height: int, grid: int = GRID) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a 1-based cell; right/bottom exclusive."""
    if not 1 <= cell <= grid * grid:
        raise ValueError(f"cell {cell} is outside 1..{grid * grid}")
    row, col = divmod(cell - 1, grid)
    return col * width // grid, row * height // grid, (col + 1) * width // grid, (row + 1) * height // grid


def mask_png(width: int, height: int, cells: Iterable[int], grid: int = GRID) -> bytes:
    """Grayscale PNG of exactly width × height: white (255) in the chosen cells, black elsewhere."""
    if width <= 0 or height <= 0:
        raise ValueError("the image size is unknown")
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for cell in set(cells):
        left, top, right, bottom = cell_box(cell, width, height, grid)
        draw.rectangle((left, top, right - 1, bottom - 1), fill=255)
    out = io.BytesIO()
    mask.save(out, format="PNG", optimize=True)
    return out.getvalue()


def mask_base64(width: int, height: int, cells: Iterable[int], grid: int = GRID) -> str:
    return base64.b64encode(mask_png(width, height, cells, grid)).decode("ascii")


def overlay_jpeg(picture: bytes, cells: Iterable[int], grid: int = GRID) -> bytes:
    """The picture with a numbered grid; chosen cells are shaded. JPEG, at most 1024 px a side."""
    chosen = set(cells)
    with Image.open(io.BytesIO(picture)) as source:
        base = source.convert("RGB")
    base.thumbnail((OVERLAY_MAX_SIDE, OVERLAY_MAX_SIDE))
    width, height = base.size
    shade = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shade)
    font = ImageFont.load_default(size=max(18, min(width, height) // (grid * 3)))
    line = max(2, min(width, height) // 256)
    for cell in range(1, grid * grid + 1):
        left, top, right, bottom = cell_box(cell, width, height, grid)
        if cell in chosen:
            draw.rectangle((left, top, right, bottom), fill=(255, 64, 64, 110))
        draw.rectangle((left, top, right, bottom), outline=(0, 0, 0, 140), width=line + 2)
        draw.rectangle((left + 1, top + 1, right - 1, bottom - 1), outline=(255, 255, 255, 210), width=line)
        # Large digits on a dark backing: readable on bright and dark areas alike.
        label = str(cell)
        pad = line * 3
        x0, y0, x1, y1 = draw.textbbox((0, 0), label, font=font)
        box = (left + pad, top + pad, left + pad + (x1 - x0) + 2 * pad, top + pad + (y1 - y0) + 2 * pad)
        draw.rounded_rectangle(box, radius=pad, fill=(0, 0, 0, 175))
        draw.text((box[0] + pad - x0, box[1] + pad - y0), label, font=font, fill=(255, 255, 255, 255))
    merged = Image.alpha_composite(base.convert("RGBA"), shade).convert("RGB")
    out = io.BytesIO()
    merged.save(out, format="JPEG", quality=85)
    return out.getvalue()


class BadDrawing(ValueError):
    """A drawing that is not a picture of the picture's shape within the pixel budget."""


DRAWING_PIXELS_MAX = 4096 * 4096  # a phone or desktop screen's worth, many times over
DRAWING_SCALE_MAX = 2  # a drawing is at most twice the picture's full size a side (a dense screen's canvas)


def mask_from_drawing(drawing: bytes, width: int, height: int) -> str | None:
    """A freehand drawing (painted strokes on transparency, at any scale of the picture) → base64
    mask PNG of exactly width × height, white where painted; None when nothing was painted.

    The header is read first: a drawing of another shape than the picture, or over the pixel
    budget, is refused before anything is decoded (a small PNG can declare a huge canvas)."""
    try:
        with Image.open(io.BytesIO(drawing), formats=["PNG"]) as source:
            w, h = source.size
            if w * h > DRAWING_PIXELS_MAX or w < 1 or h < 1:
                raise BadDrawing(f"a {w}x{h} drawing is over the budget")
            if w > DRAWING_SCALE_MAX * width or h > DRAWING_SCALE_MAX * height:
                raise BadDrawing(f"a {w}x{h} drawing is far larger than the {width}x{height} picture")
            if abs(w / h - width / height) > 0.02 * (width / height) + 2 / min(w, h):
                raise BadDrawing(f"a {w}x{h} drawing does not have the picture's shape ({width}x{height})")
            source.load()
            return _mask_of(source, width, height)
    except BadDrawing:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:  # anything Pillow says
        raise BadDrawing(f"unreadable drawing: {exc}") from exc


def _mask_of(source: Image.Image, width: int, height: int) -> str | None:
    painted = source.getchannel("A") if "A" in source.getbands() else source.convert("L")
    binary = painted.point(lambda value: 255 if value > 0 else 0).resize(
        (width, height), Image.Resampling.NEAREST
    )
    if binary.getbbox() is None:
        return None
    out = io.BytesIO()
    binary.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")
