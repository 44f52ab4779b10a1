"""Cost budgets checked after new usage, on their own thread; alerts once per period."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path

from tray_app.adapters.ledger import Ledger
from tray_app.service.aggregator import UsageService
from tray_app.service.snapshot import Snapshot
from tray_app.usage.alerts import Alert
from tray_app.usage.budgets import PERIODS, budget_alerts, budget_status, period_bounds
from tray_app.usage.model import Entry, Totals

log = logging.getLogger(__name__)
CostFn = Callable[[Entry], "float | None"]
# New responses reach the ledger within the service's flush interval (1 s): read after it.
SETTLE_SECONDS = 2.0


class BudgetWatch:
    """Reads the current periods' responses from the ledger when usage changed.

    Which thresholds already alerted is kept in the ledger's alerts table (keyed by the
    period's start), so a restart never repeats one.
    """

    def __init__(
        self,
        ledger_path: Path,
        cost_of: CostFn,
        budgets: Callable[[], Mapping[str, float]],
        thresholds: Sequence[int],
        tz: tzinfo,
        on_alert: Callable[[Alert], None],
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger_path = ledger_path
        self.cost_of = cost_of
        self.budgets = budgets  # read at each check: the menu may change them
        self.thresholds = tuple(thresholds)
        self.tz = tz
        self.on_alert = on_alert
        self.settle = settle
        self.clock = clock
        self._due = threading.Event()
        self._stop = threading.Event()
        self._seen: Totals | None = None
        self._thread = threading.Thread(target=self._run, name="tm-budgets", daemon=True)

    def attach(self, service: UsageService) -> None:
        """Check after each snapshot whose totals changed (and once at start)."""
        service.subscribe(self._on_snapshot)
        self._thread.start()

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if snapshot.totals != self._seen:
            self._seen = snapshot.totals
            self._due.set()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join(5.0)

    def _run(self) -> None:
        ledger: Ledger | None = None
        try:
            while not self._stop.is_set():
                self._due.wait()
                if self._stop.wait(self.settle):
                    break
                self._due.clear()
                if not self.budgets():
                    continue  # nothing to check (and no ledger connection held)
                try:
                    ledger = ledger or Ledger.open(self.ledger_path)
                    for alert in self.check(ledger):
                        self.on_alert(alert)
                except Exception:
                    log.exception("budget check failed")  # tried again after the next change
        finally:
            if ledger is not None:
                ledger.close()

    def check(self, ledger: Ledger) -> list[Alert]:
        """Spending of each budget period from the ledger; the alerts that are new."""
        budgets = {p: v for p, v in self.budgets().items() if p in PERIODS and v}
        if not budgets:
            return []
        now = self.clock()
        earliest = min(period_bounds(p, now, self.tz)[0] for p in budgets)
        entries = ledger.entries_between(earliest, now + 1)
        statuses = budget_status(entries, self.cost_of, budgets, now, self.tz)
        return budget_alerts(ledger, statuses, self.thresholds, now)
