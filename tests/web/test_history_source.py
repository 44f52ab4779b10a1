"""The dashboard's history from the ledger's aggregates equals counting every response."""

from __future__ import annotations

import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.builders import entry
from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_readonly import ledger_entries
from tray_app.adapters.prices import load_price_table
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry
from tray_app.web.api import DashboardData
from tray_app.web.feed import LiveFeed

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")  # the last one has no price


def _history(tmp_path: Path, zone: str, source: bool, entries: list[Entry]) -> dict[str, object]:
    path = tmp_path / "l.db"

    def seed() -> list[Entry]:
        assert not source, "the history from aggregates read every response"
        return ledger_entries(path)

    feed = LiveFeed(PRICES.cost, seed)
    data = DashboardData(
        feed,
        ZoneInfo(zone),
        lambda: {"daily": 1.0, "weekly": 5.0, "monthly": 20.0},
        clock=lambda: max(e.timestamp for e in entries) + 30.0,
        source=HistorySource(path, PRICES, []) if source else None,
    )
    try:
        return data.history()
    finally:
        if data.source is not None:
            data.source.close()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "America/St_Johns"])
def test_history_from_aggregates_equals_counting_every_response(tmp_path: Path, zone: str) -> None:
    rnd = random.Random(zone)
    entries = [
        entry(rnd.uniform(0, 60 * 24 * 40), rnd.randint(1, 5000), f"k{i}",
              MODELS[rnd.randrange(3)], f"s{rnd.randrange(6)}", rnd.randint(1, 900))
        for i in range(400)
    ]  # fmt: skip
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write(entries)
    ledger.close()
    from_ledger = _history(tmp_path, zone, True, entries)
    counted = _history(tmp_path, zone, False, entries)
    assert from_ledger == counted
    daily = from_ledger["daily"]
    assert isinstance(daily, dict) and daily["unpriced_models"] == ["mystery-9"]
    assert sum(map(sum, daily["heatmap"])) > 0


def test_without_a_ledger_file_the_feed_is_counted(tmp_path: Path) -> None:
    source = HistorySource(tmp_path / "none.db", PRICES, [])
    assert source.parts(0.0, 1e12) is None  # the caller counts its responses instead
    source.close()
    assert not (tmp_path / "none.db").exists()


def test_metrics_counters_from_the_rollup_equal_counting_every_response(tmp_path: Path) -> None:
    entries = [entry(i * 7.0, 10 + i, f"k{i}", MODELS[i % 3], f"s{i % 2}", i) for i in range(50)]
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write(entries)
    ledger.close()
    path = tmp_path / "l.db"

    def unread() -> list[Entry]:
        raise AssertionError("the counters from the rollup read every response")

    source = HistorySource(path, PRICES, [])
    from_rollup = LiveFeed(PRICES.cost, unread, source).models()
    source.close()
    counted = LiveFeed(PRICES.cost, lambda: ledger_entries(path)).models()
    assert [m.model for m in from_rollup] == [m.model for m in counted]
    for a, b in zip(from_rollup, counted, strict=True):
        assert a.totals.total_tokens == b.totals.total_tokens
        assert a.totals.responses == b.totals.responses
        assert a.totals.cost_usd == pytest.approx(b.totals.cost_usd)


def test_a_feed_with_a_source_keeps_no_copy_of_counted_responses(tmp_path: Path) -> None:
    source = HistorySource(tmp_path / "l.db", PRICES, [])
    with_source, counting = LiveFeed(PRICES.cost, list, source), LiveFeed(PRICES.cost, list)
    e = entry(0, 10, "k", session="s9")
    for feed in (with_source, counting):
        feed.apply(Change(None, e))
        assert feed.version == 1 and feed.sessions_seen() == {"s9"}
    source.close()
    assert with_source.entries() == []  # the tray's memory does not grow with each response
    assert counting.entries() == [e]


def test_a_history_read_right_after_a_response_asks_the_page_to_come_back(
    tmp_path: Path,
) -> None:
    # The live service writes what it counted within about a second: a history read from
    # the ledger sooner may miss it, so its version stays behind (the page asks again).
    entries = [entry(i * 3.0, 10, f"k{i}") for i in range(5)]
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write(entries[:4])
    ledger.close()
    source = HistorySource(tmp_path / "l.db", PRICES, [])
    feed = LiveFeed(PRICES.cost, list, source)
    data = DashboardData(feed, ZoneInfo("UTC"), clock=lambda: entries[-1].timestamp, source=source)
    feed.apply(Change(None, entries[4]))  # counted live, not yet in the ledger
    early = data.history()
    assert early["version"] == feed.version - 1
    feed.changed_at -= 60  # as if the flush had long happened
    late = data.history()
    source.close()
    assert late["version"] == feed.version
