"""Screenshots of the Draw mask page for the README: phone light, phone dark, landscape phone and
desktop, each with a stroke and a box painted, in Debian's Chromium (tests/browser_kit.py, no network).

    python scripts/screenshots.py            # writes docs/region-*.png
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser_kit import OWNER, Site, browser, fake_telegram, open_page, paint, sign

DOCS = Path(__file__).resolve().parents[1] / "docs"
SHOTS = {
    "region-phone-light": (390, 844, "light"),
    "region-phone-dark": (390, 844, "dark"),
    "region-phone-landscape": (844, 390, "light"),
    "region-desktop": (1280, 800, "light"),
}


async def main() -> None:
    DOCS.mkdir(exist_ok=True)
    async with browser() as chromium:
        for name, (width, height, scheme) in SHOTS.items():
            site = Site(telegram=fake_telegram(sign(OWNER), scheme=scheme))
            page = await open_page(chromium, site, width=width, height=height, scheme=scheme, scale=1)
            await paint(page, [(0.45, 0.35), (0.6, 0.45), (0.62, 0.6), (0.5, 0.66)])
            await page.click("#box")  # and a box, the tool left chosen
            await paint(page, [(0.08, 0.1), (0.3, 0.38)])
            await page.fill("#prompt", "a golden crown")
            await page.screenshot(path=str(DOCS / f"{name}.png"))
            print(f"docs/{name}.png")
            await page.context.close()


if __name__ == "__main__":
    asyncio.run(main())
