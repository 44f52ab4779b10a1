"""The web app in process: the guard, /metrics from a feed, the page's JSON and rename rules."""

from __future__ import annotations

import re
import warnings
from datetime import UTC
from typing import Any

import pytest

from tests.builders import entry
from tray_app.adapters.ledger import SessionMeta
from tray_app.service.snapshot import BlockView, Snapshot
from tray_app.usage.blocks import build_blocks
from tray_app.usage.dedup import Change
from tray_app.usage.limits import Limit
from tray_app.usage.model import Entry
from tray_app.web.api import Broadcaster, DashboardData, build_app
from tray_app.web.feed import LiveFeed
from tray_app.web.guard import Guard
from tray_app.web.metrics import metrics_registry

with warnings.catch_warnings():  # Starlette now suggests httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRET = "s3cret-s3cret-s3cret"


def _cost(e: Entry) -> float | None:
    return None if e.model == "mystery" else e.total_tokens / 1e6


def _feed() -> tuple[LiveFeed, list[Entry], list[tuple[str, str]]]:
    entries = [entry(0, 100, "a"), entry(10, 50, "b", model="claude-sonnet-4-5", session="t"),
               entry(20, 7, "c", model="mystery", output=3)]  # fmt: skip
    renamed: list[tuple[str, str]] = []
    feed = LiveFeed(_cost, lambda: entries[:2])  # the ledger holds two; one arrives live
    feed.apply(Change(None, entries[2]))
    feed.rename = lambda sid, name: renamed.append((sid, name))
    [block] = build_blocks(entries, entries[-1].timestamp + 60, _cost)
    view = BlockView(block, 1000, "max", 26.0, 10.0, 0.5, 400, 0.4, block.end, 3600.0)
    weekly = Limit(None, "official", "seven_day", 41.5, resets_at=block.end + 86400)
    feed.publish(Snapshot(block.start + 1800, "active", block.totals, view, None, True, (),
                          limits=(Limit(1000, "max"), weekly)))  # fmt: skip
    return feed, entries, renamed


@pytest.fixture
def client() -> Any:
    feed, _, renamed = _feed()
    meta = {"s": SessionMeta("s", "", project_path="/home/u/p")}
    data = DashboardData(feed, UTC, lambda: {"daily": 1.0}, lambda: meta, clock=lambda: 1e10)
    registry = metrics_registry(feed, {"user": "u", "host": "h"})
    guard = Guard(build_app(data, Broadcaster(), registry), SECRET, public=("/metrics",))
    guard.allow_port(8123)
    with TestClient(guard, base_url="http://127.0.0.1:8123") as c:
        c.renamed = renamed
        yield c


def test_metrics_counters_and_gauges(client: Any) -> None:
    text = client.get("/metrics", headers={"host": "prometheus.lan:9464"}).text
    samples = dict(re.findall(r"^(token_monitor_\S+) (\S+)$", text, re.M))
    tokens = sum(float(v) for k, v in samples.items() if k.startswith("token_monitor_tokens_total"))
    assert tokens == 100 + 50 + 7 + 3
    assert samples['token_monitor_tokens_total{host="h",model="mystery",type="output",user="u"}'] \
        == "3.0"  # fmt: skip
    costs = [k for k in samples if k.startswith("token_monitor_cost_usd_total")]
    assert len(costs) == 2  # the unpriced model has no cost series
    assert samples['token_monitor_block_limit_percent{host="h",source="max",user="u"}'] == "26.0"
    key = 'token_monitor_window_percent{host="h",source="official",user="u",window="seven_day"}'
    assert samples[key] == "41.5"
    assert samples['token_monitor_block_seconds_to_reset{host="h",user="u"}'] == "3600.0"


def test_guard_wants_the_secret_and_a_local_host(client: Any) -> None:
    assert client.get("/").status_code == 404
    assert client.get("/api/state").status_code == 404
    assert client.get(f"/{SECRET}x/api/state").status_code == 404
    evil = client.get(f"/{SECRET}/api/state", headers={"host": "evil.example"})
    assert evil.status_code == 403
    page = client.get(f"/{SECRET}", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == f"/{SECRET}/"
    ok = client.get(f"/{SECRET}/", headers={"origin": "http://evil.example"})
    assert ok.status_code == 200 and "Token Monitor" in ok.text
    assert "access-control-allow-origin" not in ok.headers
    assert (
        ok.headers["x-frame-options"] == "DENY" and ok.headers["referrer-policy"] == "no-referrer"
    )
    assert "default-src 'self'" in ok.headers["content-security-policy"]


def test_state_and_history_json(client: Any) -> None:
    live = client.get(f"/{SECRET}/api/state").json()["live"]
    assert live["active_block"]["total_tokens"] == 160
    assert live["active_block"]["limit_label"] == "max of past blocks"
    assert [w["window"] for w in live["limits"]] == ["five_hour", "seven_day"]
    history = client.get(f"/{SECRET}/api/history").json()
    assert history["totals"]["total_tokens"] == 160
    assert history["totals"]["cost_complete"] is False
    assert history["totals"]["unpriced_tokens"] == 10
    assert {m["model"] for m in history["models"]} == {"claude-opus-4-6", "claude-sonnet-4-5",
                                                       "mystery"}  # fmt: skip
    assert [s["session_id"] for s in history["sessions"]] == ["s", "t"]
    assert history["sessions"][0]["project_path"] == "/home/u/p"
    block = history["block"]
    assert block["tokens"] == [0, 100, 150, 160]  # the running total, one point per response
    assert block["limit_tokens"] == 1000 and block["projected_tokens"] == 400


def test_rename_rules(client: Any) -> None:
    url = f"/{SECRET}/api/sessions/s/name"
    assert client.post(url, content=b'{"name": "x"}').status_code == 415  # not JSON-typed
    assert client.post(url, json={"name": "bad\x1b[2Jname"}).status_code == 400
    assert client.post(url, json={"name": "t"}).status_code == 400  # looks like session t's id
    assert client.post(f"/{SECRET}/api/sessions/nope/name", json={"name": "x"}).status_code == 404
    answer = client.post(url, json={"name": "  Refactor  "})
    assert answer.status_code == 200 and answer.json()["name"] == "Refactor"
    assert client.renamed == [("s", "Refactor")]
    huge = b'{"name": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    answer = client.post(url, content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and client.renamed == [("s", "Refactor")]


def test_history_is_recomputed_at_most_every_refresh_interval() -> None:
    feed, _, _ = _feed()
    data = DashboardData(feed, UTC, clock=lambda: 1e10)
    first = data.history()
    feed.apply(Change(None, entry(30, 1000, "d")))
    again = data.history()  # right away: the cached views, with their older version
    assert again is first and again["version"] < feed.version
    data._next = 0.0  # the interval has passed
    fresh = data.history()
    assert fresh["version"] == feed.version and fresh["totals"]["total_tokens"] == 1160
