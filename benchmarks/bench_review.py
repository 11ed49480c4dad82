"""How fast the review page answers a person: time to the next table and machine time per decision.

    python benchmarks/bench_review.py --data WORK [--tables 100]

WORK is a workspace with tables (e.g. `abstab synth -p pipelines/sample.yaml -o WORK`); it is
copied to a temporary folder first (decisions and page images go to the copy). A scripted
reviewer drives the page in headless Chromium (Debian's, through playwright) over the first
``--tables`` tables of the queue, three times:

- cold: page images not rendered yet and no prefetch: key press (→) to the next table shown
  with its PDF region decoded (the server renders it with PyMuPDF on that request);
- cached: the same walk in a fresh browser, the images now in WORK/review/cache;
- reviewing: prefetch on (as the page runs by default), the reviewer presses ``a`` (table right)
  and ``y`` on up to ``--units`` headers, meanings or items per table, then →. Each decision is
  timed from key press to saved (fsynced line) and shown; each → as above.

Times are measured in the page (``performance.now``), so playwright's own latency is not in
them. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from abstab.decisions import REVIEW_DIR
from abstab.review.server import make_server, url_of

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(values), "median": round(statistics.median(ordered), 1),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
            "max": round(ordered[-1], 1), "mean": round(statistics.fmean(ordered), 1)}


def _walk(browser: Any, url: str, n: int, prefetch: bool, units: int) -> dict[str, list[float]]:
    """Open the page in a fresh context and go through n tables; returns the page's timings."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + ("#queue=all" if prefetch else "#queue=all&prefetch=0"))
    page.wait_for_selector("body[data-ready]:not([data-ready=''])", state="attached")
    decided = 0
    for i in range(n):
        current = page.evaluate("document.body.dataset.ready")
        if units:
            page.keyboard.press("a")
            decided += 1
            page.wait_for_function("k => window.reviewTimings.decision.length >= k", arg=decided)
            for _ in range(min(units, page.locator("li.unit, #grid th[data-id]").count())):
                page.keyboard.press("y")
                decided += 1
                page.wait_for_function("k => window.reviewTimings.decision.length >= k",
                                       arg=decided)
                page.keyboard.press("j")
        if i == n - 1:
            break
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "c => document.body.dataset.ready && document.body.dataset.ready !== c", arg=current)
    timings = page.evaluate("window.reviewTimings")
    context.close()
    return {k: [t["ms"] for t in v] for k, v in timings.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="a workspace with tables")
    ap.add_argument("--tables", type=int, default=100, help="tables to walk through")
    ap.add_argument("--units", type=int, default=5, help="decisions per table besides the table")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(args.data, work, ignore=shutil.ignore_patterns(
            REVIEW_DIR, "bench", ".cache", "index", "pdfs"))
        for pdfs in Path(args.data).glob("*/pdfs"):  # rendered dataset PDFs, if any
            shutil.copytree(pdfs, work / pdfs.parent.name / "pdfs")
        t0 = time.perf_counter()
        server = make_server(work, "bench", 0)
        start_s = time.perf_counter() - t0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = url_of(server)
        n_tables = len(server.app.summaries)
        n = min(args.tables, n_tables)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            cold = _walk(browser, url, n, prefetch=False, units=0)
            cached = _walk(browser, url, n, prefetch=False, units=0)
            review = _walk(browser, url, n, prefetch=True, units=args.units)
            browser.close()
        server.shutdown()
        server.server_close()
        images = len(list((work / REVIEW_DIR / "cache").glob("*.png")))
    decision = _stats(review["decision"])
    nxt = _stats(review["next"])
    per_table_s = ((nxt.get("median", 0) + (1 + args.units) * decision.get("median", 0))
                   / 1000)
    result = {
        "workspace": str(args.data), "tables_in_workspace": n_tables, "tables_walked": n,
        "server_start_s": round(start_s, 2), "images_rendered": images,
        "next_table_ms": {"cold": _stats(cold["next"]), "cached": _stats(cached["next"]),
                          "reviewing_prefetched": nxt},
        "decision_ms": decision,
        "machine_s_per_table": round(per_table_s, 3),
        "machine_min_per_5000_tables": round(5000 * per_table_s / 60, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
