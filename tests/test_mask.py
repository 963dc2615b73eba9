import base64
import io

import pytest
from PIL import Image

from bot.features.regions.mask import CELLS, cell_box, mask_base64, mask_png, overlay_jpeg


def _decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(("width", "height"), [(1024, 1024), (2048, 1365), (1030, 771), (7, 5)])
def test_cells_partition_every_pixel_once(width: int, height: int) -> None:
    covered = [[0] * width for _ in range(height)]
    for cell in range(1, CELLS + 1):
        left, top, right, bottom = cell_box(cell, width, height)
        for y in range(top, bottom):
            for x in range(left, right):
                covered[y][x] += 1
    assert all(value == 1 for row in covered for value in row)


def test_mask_size_and_exact_pixels() -> None:
    width, height, chosen = 1030, 771, {1, 6, 16}
    mask = _decode(mask_png(width, height, chosen))
    assert mask.size == (width, height) and mask.mode == "L"
    pixels = mask.load()
    assert pixels is not None
    for cell in range(1, CELLS + 1):
        left, top, right, bottom = cell_box(cell, width, height)
        expected = 255 if cell in chosen else 0
        for x, y in ((left, top), (right - 1, bottom - 1), ((left + right) // 2, (top + bottom) // 2)):
            assert pixels[x, y] == expected, (cell, x, y)
    histogram = mask.histogram()
    assert histogram[0] + histogram[255] == width * height
    white = histogram[255]
    assert white == sum(
        (x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in (cell_box(c, width, height) for c in chosen)
    )


def test_mask_base64_is_a_png() -> None:
    raw = base64.b64decode(mask_base64(64, 32, [2]))
    assert raw.startswith(b"\x89PNG") and _decode(raw).size == (64, 32)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        cell_box(17, 10, 10)
    with pytest.raises(ValueError):
        mask_png(0, 10, [1])


def test_overlay_shades_chosen_cells_and_fits_telegram() -> None:
    source = io.BytesIO()
    Image.new("RGB", (2048, 1024), (0, 0, 200)).save(source, "PNG")
    overlay = _decode(overlay_jpeg(source.getvalue(), [1]))
    assert overlay.format == "JPEG" and max(overlay.size) == 1024
    chosen = overlay.getpixel((128, 60))
    untouched = overlay.getpixel((128 + 256, 60))
    assert isinstance(chosen, tuple) and isinstance(untouched, tuple)
    assert chosen[0] > untouched[0] + 50  # shaded red


@pytest.mark.parametrize("background", [(250, 250, 250), (10, 10, 10)], ids=["bright", "dark"])
def test_cell_numbers_are_large_white_digits_on_a_dark_backing(background: tuple[int, int, int]) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (1024, 768), background).save(picture, "PNG")
    overlay = Image.open(io.BytesIO(overlay_jpeg(picture.getvalue(), []))).convert("L")
    left, top, right, bottom = cell_box(1, overlay.width, overlay.height)
    label = overlay.crop((left + 4, top + 4, left + (right - left) // 3, top + (bottom - top) // 3))
    histogram = label.histogram()
    dark, white = sum(histogram[:90]), sum(histogram[221:])
    assert dark > 400, "a dark backing behind the digit, even on a bright picture"
    assert white > 150, "a large white digit on it"
