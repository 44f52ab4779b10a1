"""Budget checks against a real ledger: alerts once per period, remembered across restarts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from tray_app.adapters.ledger import Ledger
from tray_app.service.budget_watch import BudgetWatch
from tray_app.service.snapshot import Snapshot
from tray_app.usage.alerts import Alert
from tray_app.usage.model import Entry, Totals

NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC).timestamp()


def _cost(e: Entry) -> float | None:
    return e.cost_usd


def _watch(path: Path, alerts: list[Alert], settle: float = 0.0) -> BudgetWatch:
    return BudgetWatch(path, _cost, lambda: {"daily": 10.0, "monthly": 100.0}, (50, 100), UTC,
                       alerts.append, settle=settle, clock=lambda: NOW)  # fmt: skip


def test_alerts_once_and_never_again_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger.open(path)
    ledger.write([Entry(f"k{i}", NOW - 3600 * i, "s", "m", cost_usd=3.0) for i in range(4)])
    alerts: list[Alert] = []
    watch = _watch(path, alerts)
    found = watch.check(ledger)
    assert [a.kind for a in found] == ["budget:daily:100"]  # $12 of $10 today
    assert watch.check(ledger) == []
    ledger.close()
    reopened = Ledger.open(path)  # the app restarted: the ledger remembers
    assert _watch(path, alerts).check(reopened) == []
    reopened.write(
        [Entry(f"m{i}", NOW - 86400 * (i + 1), "s", "m", cost_usd=10.0) for i in range(4)]
    )
    assert [a.kind for a in _watch(path, alerts).check(reopened)] == ["budget:monthly:50"]
    reopened.close()


def test_thread_checks_after_a_snapshot_with_new_totals(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger.open(path)
    ledger.write([Entry("k", NOW - 60, "s", "m", cost_usd=6.0)])
    ledger.close()
    arrived = threading.Event()
    alerts: list[Alert] = []

    def on_alert(alert: Alert) -> None:
        alerts.append(alert)
        arrived.set()

    watch = BudgetWatch(path, _cost, lambda: {"daily": 10.0}, (50,), UTC, on_alert, settle=0.0,
                        clock=lambda: NOW)  # fmt: skip
    watch._thread.start()
    try:
        snap = Snapshot(NOW, "active", Totals(cost_usd=6.0, responses=1), None, None, True, ())
        watch._on_snapshot(snap)
        assert arrived.wait(10)
        assert [a.kind for a in alerts] == ["budget:daily:50"]
    finally:
        watch.stop()


def test_budgets_set_later_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger.open(path)
    ledger.write([Entry("k", NOW - 60, "s", "m", cost_usd=6.0)])
    settings: dict[str, float] = {}
    watch = BudgetWatch(path, _cost, lambda: settings, (50,), UTC, print, clock=lambda: NOW)
    assert watch.check(ledger) == []  # no budget: nothing to say
    settings["weekly"] = 10.0  # set from the menu meanwhile
    assert [a.kind for a in watch.check(ledger)] == ["budget:weekly:50"]
    ledger.close()
