"""Draw the app's PNG icons from their SVG sources (tracker/webapp.py lists them).

    .venv/bin/python scripts/make_icons.py

Debian's Chromium renders each SVG at the icon's size, so the PNGs are the SVGs
and nothing else; run it again after changing an SVG and commit the PNGs.
"""

import base64
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker import webapp  # noqa: E402

STATIC = ROOT / "static"
CHROMIUM = "/usr/bin/chromium"


def main():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for icon in [*webapp.ICONS, webapp.APPLE_TOUCH_ICON]:
            svg = base64.b64encode((STATIC / icon.source).read_bytes()).decode()
            page = browser.new_page(viewport={"width": icon.size, "height": icon.size})
            page.set_content(
                f'<body style="margin:0"><img src="data:image/svg+xml;base64,{svg}"'
                f' width="{icon.size}" height="{icon.size}" alt=""></body>'
            )
            # Transparent outside the drawing: the rounded tile keeps its corners.
            page.screenshot(path=STATIC / icon.path, omit_background=True)
            page.close()
            print(f"{icon.path}: {icon.size}x{icon.size} from {icon.source}")
        browser.close()


if __name__ == "__main__":
    main()
