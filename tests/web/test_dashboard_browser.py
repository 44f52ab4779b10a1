"""The dashboard in Debian's chromium (Playwright): figures, live updates, rename, screenshots.

One `token-monitor dashboard --no-browser` process and one browser serve the module.
Set DASHBOARD_SCREENSHOTS=DIR to keep the light, dark and narrow screenshots there.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tests.web.served import Served, cli_json, environment, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _line(msg: str, minutes_ago: float, session: str, model: str, output: int) -> dict[str, Any]:
    line = assistant(msg, output, session=session, request=f"req_{msg}", model=model,
                     input_tokens=12, cache_5m=2000, cache_read=30_000,
                     cwd=f"/home/u/{session}")  # fmt: skip
    line["timestamp"] = _iso(time.time() - minutes_ago * 60)
    return line


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Data with an active block and older days, the dashboard serving it, and status --json."""
    base = tmp_path_factory.mktemp("dash")
    data = base / "data"
    old = [_line(f"msg_old{i}", 60 * 24 * (i + 1), "older-work", "claude-sonnet-4-5", 900 + i)
           for i in range(6)]  # fmt: skip
    write_jsonl(data / "projects/-home-u-old/older.jsonl", old)
    live = data / "projects/-home-u-live/live.jsonl"
    write_jsonl(live, [_line(f"msg_new{i}", 50 - 5 * i, "live-work", "claude-opus-4-6", 400 + i)
                       for i in range(6)])  # fmt: skip
    env = environment(base / "home", "budgets: {daily: 5, monthly: 200}\n")
    served = Served(env, "dashboard", "--no-browser", "--data-dir", str(data))
    try:
        yield {"url": served.url, "env": env, "data": data, "live": live, "served": served}
    finally:
        assert served.stop() == 0, served.stderr


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, site: dict[str, Any]) -> Iterator[Any]:
    """A fresh page on the dashboard that records console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(site["url"])
    yield pg
    context.close()


def _value(pg: Any, element: str) -> str:
    return str(pg.get_attribute(f"#{element}", "data-value") or "")


def _wait_value(pg: Any, element: str, expected: object, timeout: float = 10.0) -> None:
    pg.wait_for_function(
        "([id, want]) => document.getElementById(id).dataset.value === want",
        arg=[element, str(expected)],
        timeout=timeout * 1000,
    )


def test_page_shows_status_figures_without_console_errors(page: Any, site: dict) -> None:
    _wait_value(page, "total-responses", 12)
    status = cli_json(site["env"], "status", "--data-dir", str(site["data"]))
    assert _value(page, "total-tokens") == str(status["totals"]["total_tokens"])
    assert float(_value(page, "total-cost")) == pytest.approx(status["totals"]["cost_usd"])
    assert _value(page, "block-tokens") == str(status["active_block"]["total_tokens"])
    page.wait_for_selector("#sessions tbody tr")
    rows = page.locator("#sessions tbody tr").count()
    assert rows == 2
    assert page.locator("#models tbody tr").count() == 2
    assert page.locator(".budget[data-period=daily]").count() == 1
    page.wait_for_selector("#burn-chart canvas")  # the active block's running total
    assert page.errors == []


def test_new_response_appears_on_the_open_page(page: Any, site: dict) -> None:
    _wait_value(page, "total-responses", 12)
    before = int(_value(page, "total-tokens"))
    line = _line("msg_live_extra", 0.1, "live-work", "claude-opus-4-6", 777)
    write_jsonl(site["live"], [line], mode="a")
    added = 12 + 777 + 2000 + 30_000
    started = time.monotonic()
    _wait_value(page, "total-tokens", before + added, timeout=5)
    assert time.monotonic() - started < 2.0  # file event → snapshot → SSE → page
    assert page.errors == []


def test_rename_from_the_page_lands_in_the_ledger(page: Any, site: dict) -> None:
    page.wait_for_selector("#sessions tbody tr[data-session=live-work]")
    row = page.locator("#sessions tbody tr[data-session=live-work]")
    row.locator("button.rename").click()
    row.locator("input").fill("Dashboard work")
    row.locator("button[type=submit]").click()
    db = Path(site["env"]["TOKEN_MONITOR_DB"])

    def stored() -> str | None:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            got = con.execute("SELECT name FROM sessions WHERE session_id = 'live-work'").fetchone()
        finally:
            con.close()
        return got[0] if got and got[0] else None

    assert wait_for(stored, timeout=10) == "Dashboard work"
    assert page.errors == []
    bad = "\x1b[31mred"
    row.locator("button.rename").click()
    row.locator("input").fill(bad)
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#rename-error:not([hidden])")
    assert "control" in (page.locator("#rename-error").text_content() or "")
    assert stored() == "Dashboard work"
    # The refusal is a 400, which the browser logs; nothing else went wrong.
    assert all("400" in e for e in page.errors)


def test_without_the_secret_or_from_another_host_nothing_is_served(site: dict) -> None:
    url: str = site["url"]
    origin = url.split("/", 3)
    root = f"{origin[0]}//{origin[2]}"
    for path, host, code in ((root + "/", None, 404), (root + "/api/state", None, 404),
                             (root + "/wrong-secret/", None, 404),
                             (url + "api/state", "evil.example:80", 403)):  # fmt: skip
        request = urllib.request.Request(path, headers={"Host": host} if host else {})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5)
        assert err.value.code == code, path
    request = urllib.request.Request(url + "api/state", headers={"Origin": "http://evil.example"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.headers.get("access-control-allow-origin") is None
        assert answer.headers["cache-control"] == "no-store"


def test_screenshots_light_dark_and_narrow(browser: Any, site: dict, tmp_path: Path) -> None:
    out = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    for name, scheme, size in (("dashboard", "light", (1280, 800)),
                               ("dashboard-dark", "dark", (1280, 800)),
                               ("dashboard-narrow", "light", (420, 900))):  # fmt: skip
        context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, color_scheme=scheme
        )
        pg = context.new_page()  # the page's own CSP in force: a violation is an error
        errors: list[str] = []
        pg.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda x, e=errors: e.append(str(x)))
        pg.goto(site["url"])
        pg.wait_for_selector("#sessions tbody tr")
        pg.wait_for_selector("#daily-chart canvas")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0], f"{name} scrolls sideways ({width}px)"
        pg.screenshot(path=str(out / f"{name}.png"), full_page=True)
        context.close()
        assert (out / f"{name}.png").stat().st_size > 10_000
        assert errors == [], name
