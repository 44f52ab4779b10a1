"""Dashboard figures: first paint in Debian's chromium and the cost of a snapshot push.

Usage: ``python -m scripts.bench_dashboard [--size-mb 50] [--runs 7] [--screenshots DIR]``

1. Generates a data dir (scripts/gen_data.py, ending now), starts
   ``token-monitor dashboard --no-browser`` on it and opens the page ``--runs`` times in a
   fresh headless chromium context: first contentful paint, figures shown (live totals)
   and charts drawn (history fetched and rendered), medians.
2. In process: a WebServer with one open event stream; each ``publish(snapshot)`` is timed
   on the calling thread (what the aggregator pays) and until the bytes reach the client.
With ``--screenshots DIR`` it also saves dashboard.png, dashboard-dark.png and
dashboard-narrow.png of that data.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path

from scripts import gen_data
from tray_app.service.snapshot import Snapshot
from tray_app.usage.model import Totals
from tray_app.web.api import DashboardData
from tray_app.web.feed import LiveFeed
from tray_app.web.server import WebServer

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
CONFIG = "budgets: {daily: 40, weekly: 200, monthly: 600}\n"


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def page_figures(url: str, runs: int, shots: Path | None) -> None:
    """First paint, figures and charts, medians over fresh browser contexts."""
    from playwright.sync_api import sync_playwright

    paint, figures, charts = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function("document.getElementById('total-tokens').dataset.value")
            figures.append(time.perf_counter() - start)
            page.wait_for_selector("#daily-chart canvas")
            page.wait_for_selector("#sessions tbody tr")
            charts.append(time.perf_counter() - start)
            fcp = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
            )
            if fcp is not None:
                paint.append(fcp / 1000)
            context.close()
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            for name, scheme, size in (("dashboard", "light", (1280, 800)),
                                       ("dashboard-dark", "dark", (1280, 800)),
                                       ("dashboard-narrow", "light", (420, 900))):  # fmt: skip
                context = browser.new_context(
                    viewport={"width": size[0], "height": size[1]}, color_scheme=scheme
                )
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector("#sessions tbody tr")
                page.wait_for_timeout(500)
                page.screenshot(path=str(shots / f"{name}.png"), full_page=name != "dashboard")
                context.close()
        browser.close()
    print(f"first contentful paint      {_ms(paint)}   (median of {len(paint)})")
    print(f"live figures shown          {_ms(figures)}")
    print(f"charts and tables drawn     {_ms(charts)}")


def push_figures(pushes: int) -> None:
    """publish() on the aggregator's side and until an open event stream has the bytes."""
    feed = LiveFeed(lambda e: 0.0)
    data = DashboardData(feed, UTC)
    server = WebServer(data)
    server.start()
    got = threading.Event()
    received: list[float] = []

    def listen() -> None:
        con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        con.request("GET", f"/{server.secret}/api/events")
        answer = con.getresponse()
        while True:
            line = answer.fp.readline()
            if not line:
                return
            if line.startswith(b"data:"):
                received.append(time.perf_counter())
                got.set()

    threading.Thread(target=listen, daemon=True).start()
    assert got.wait(10)  # the stream's first event: the current state
    base = Snapshot(time.time(), "active", Totals(1000, 2000, 3000, 4000, 1.5, 10), None, None,
                    True, ())  # fmt: skip
    call, deliver = [], []
    for i in range(pushes):
        got.clear()
        snap = replace(base, published_at=time.time(), totals=replace(base.totals, responses=i))
        t0 = time.perf_counter()
        feed.publish(snap)
        t1 = time.perf_counter()
        if got.wait(5):
            call.append(t1 - t0)
            deliver.append(received[-1] - t0)
        time.sleep(0.005)
    server.stop()
    print(f"snapshot push, aggregator   {statistics.median(call) * 1e6:.0f} µs   (median of "
          f"{len(call)})")  # fmt: skip
    print(f"snapshot push to the page   {_ms(deliver)}   (publish → bytes at the client)")


def main() -> None:
    """Generate data, serve it, measure, print medians."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mb", type=float, default=50.0)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--pushes", type=int, default=200)
    ap.add_argument("--screenshots", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        home = Path(tmp)
        end = time.time() - 120
        expected = gen_data.generate(home / "data", size_mb=args.size_mb, seed=7, end=end)
        # The generated history ends days ago: add a session working right now (active block).
        session = max((home / "data").rglob("*.jsonl"), key=lambda f: f.stat().st_size)
        for k in range(8):
            added = gen_data.append_responses(session, 5, seed=k, start=end - (80 - 10 * k) * 60)
            expected.responses += added.responses
        (home / "config.yaml").write_text(CONFIG)
        env = {**os.environ, "TOKEN_MONITOR_DB": str(home / "ledger.sqlite3"),
               "TOKEN_MONITOR_CONFIG": str(home / "config.yaml"),
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        command = [sys.executable, "-m", "tray_app", "dashboard", "--no-browser",
                   "--data-dir", str(home / "data")]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            print(f"data: {args.size_mb:g} MiB, {expected.responses:,} responses")
            _wait_caught_up(url, expected.responses)
            page_figures(url, args.runs, args.screenshots)
        finally:
            proc.terminate()
            proc.wait(15)
    push_figures(args.pushes)


def _wait_caught_up(url: str, responses: int) -> None:
    import json
    import urllib.request

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "api/history", timeout=60) as answer:
            if json.loads(answer.read())["totals"]["responses"] >= responses:
                return
        time.sleep(0.5)
    raise SystemExit("the dashboard did not catch up in 5 minutes")


if __name__ == "__main__":
    main()
