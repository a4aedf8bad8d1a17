"""A screenshot of a running fleet view in Debian's headless Chromium (what docs/fleet-view.png is):

    python -m tooling.fleet_view.screenshot http://127.0.0.1:8765/ docs/fleet-view.png [--wait 3]
"""
from __future__ import annotations

import sys
import time

from jobs.cli import Parser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m tooling.fleet_view.screenshot", description=__doc__.splitlines()[0])
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--wait", type=float, default=3.0, help="seconds to let the page fill after it connected")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--height", type=int, default=950)
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(args.url)
            page.wait_for_selector("body[data-ready=true]", timeout=15000)
            time.sleep(args.wait)
            page.screenshot(path=args.out, full_page=True)
        finally:
            browser.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
