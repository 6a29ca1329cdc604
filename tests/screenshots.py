"""The README's screenshots (docs/screenshots/), taken in Debian's Chromium from a running server:

    make serve &   # or any `kb serve`
    .venv/bin/python -m tests.screenshots http://127.0.0.1:5000

The first screen of a results page at 1366×768 and at 390×844 (a phone), and a passage page down
to the explanation of its categories,
each reduced to a 256-colour PNG so that the repository stays small."""

from __future__ import annotations

import sys
from io import BytesIO
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from tests.conftest_web import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSAGE = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
SHOTS = [
    ("results-1366.png", "/recherche?q=services+publics", {"width": 1366, "height": 768}),
    ("results-390.png", "/recherche?q=services+publics", {"width": 390, "height": 844}),
    ("passage-1366.png", f"/passages/{PASSAGE}", {"width": 1366, "height": 1250}),  # down to its explanation
    # Issue 28: a question as a volunteer types it on a phone, and a query the corpus cannot answer.
    ("question-390.png", "/recherche?q=quest+ce+que+je+peux+faire", {"width": 390, "height": 844}),
    ("off-topic-390.png", "/recherche?q=horoscope+du+jour", {"width": 390, "height": 844}),
]


def small_png(png: bytes) -> bytes:
    """The screenshot as a palette PNG (256 colours): a few tens of kilobytes instead of hundreds."""
    out = BytesIO()
    Image.open(BytesIO(png)).convert("RGB").quantize(colors=256).save(out, format="PNG", optimize=True)
    return out.getvalue()


def take(base_url: str, out: Path = OUT) -> list[Path]:
    """Each screenshot of SHOTS from the server at `base_url`, written to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for name, url, viewport in SHOTS:
                tab = browser.new_page(viewport=viewport, base_url=base_url, locale="fr-FR")
                tab.goto(url)
                (out / name).write_bytes(small_png(tab.screenshot()))
                written.append(out / name)
                tab.close()
        finally:
            browser.close()
    return written


if __name__ == "__main__":
    for path in take(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"):
        print(f"{path} ({path.stat().st_size // 1024} Ko)")
