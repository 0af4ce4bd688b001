"""How long the HTML report of a scan takes to write and to show its pair list in Chromium.

    python bench/report_open.py [--docs 12000]

Scans the news-like bench corpus (bench/corpus.py --news), writes the self-contained report
and opens its pair list in Debian's headless Chromium (/usr/bin/chromium, through playwright),
printing the file size and both times. A figure, not a test: tests/report/ checks behaviour.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import retold  # noqa: E402
from corpus import default_news_dir, generate_news  # noqa: E402
from retold.io.results import load_texts  # noqa: E402
from retold.report.html import render_report  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=12_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    corpus, _ = generate_news(args.docs, default_news_dir(args.docs))
    result = retold.scan([str(corpus)], workers=args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        retold.write_result(result, Path(tmp) / "r")
        ids = {i for p in result.pairs for i in (p.a, p.b)}
        texts = load_texts(Path(tmp) / "r", ids)
        t0 = time.perf_counter()
        info = render_report(result, texts, Path(tmp) / "report.html")
        written = time.perf_counter() - t0
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page()
            t1 = time.perf_counter()
            page.goto((Path(tmp) / "report.html").as_uri() + "#pairs/1")
            page.wait_for_selector("#pairs tbody tr")
            shown = time.perf_counter() - t1
            browser.close()
    print(f"{args.docs} documents, {info.pairs} pairs: report {info.bytes / 1e6:.1f} MB written in {written:.1f} s, "
          f"pair list shown in {shown:.2f} s")


if __name__ == "__main__":
    main()
