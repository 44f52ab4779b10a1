"""History for a reader beside the live service (the dashboard), from the ledger's aggregates.

The live service writes; this reader opens its own connection and asks the maintained
aggregates (rollup parts, model activity, block cache) plus narrow ranges of responses,
so a history view costs what it shows, never a load of every response. Every call
returns None when the ledger cannot answer now (not there yet, busy, other roots' rows
share it): the caller counts the responses it has instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tray_app.adapters import model_activity, rollup_queries, roots_ledger
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.usage_rollup import Rollup
from tray_app.usage.blocks import Block
from tray_app.usage.model import Entry
from tray_app.usage.model_activity import Activity
from tray_app.usage.pricing import PriceTable
from tray_app.usage.rollup import Part

log = logging.getLogger(__name__)
T = TypeVar("T")


class HistorySource:
    """The ledger's aggregates for one set of roots, opened on first use (any thread)."""

    def __init__(self, path: Path, prices: PriceTable, roots: Sequence[Path]) -> None:
        self.path = path
        self.prices = prices
        self.root_ids = [roots_ledger.root_id(d) for d in roots]
        self._ledger: Ledger | None = None
        # One thread owns the connection (SQLite connections are per thread): every
        # question runs there, one at a time, whichever thread asks.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="tm-history")

    def _ask(self, question: Callable[[Ledger], T]) -> T | None:
        def run() -> T | None:
            try:
                ledger = self._open()
                return None if ledger is None else question(ledger)
            except LedgerError as exc:
                log.warning("history from the ledger: %s", exc)
                return None

        return self._thread.submit(run).result()

    def _open(self) -> Ledger | None:
        if self._ledger is None:
            if not self.path.exists():
                return None  # the service has not created it yet
            self._ledger = Ledger.open(self.path)
        ledger = self._ledger
        if roots_ledger.outside_keys(ledger, self.root_ids):
            return None  # other roots' responses share it: only a full count can leave them out
        return ledger

    def parts(self, lo: float, hi: float) -> list[Part] | None:
        """Usage per quarter-hour, session and model with lo <= ts < hi."""

        def question(ledger: Ledger) -> list[Part] | None:
            rollup = Rollup(ledger, self.prices, self.prices.cost)
            return rollup.parts(lo, hi) if rollup.update() else None

        return self._ask(question)

    def merged(self, lo: float, hi: float, by: str) -> list[Part] | None:
        """The parts with lo <= ts < hi summed by SQLite per model or session and model."""

        def question(ledger: Ledger) -> list[Part] | None:
            rollup = Rollup(ledger, self.prices, self.prices.cost)
            return rollup_queries.merged_parts(rollup, lo, hi, by) if rollup.update() else None

        return self._ask(question)

    def activity(self, lo: float, hi: float) -> list[Activity] | None:
        """Per model busy time with lo <= ts < hi (ask right after `parts`)."""

        def question(ledger: Ledger) -> list[Activity] | None:
            if not model_activity.update(ledger):
                return None
            return model_activity.window_activity(ledger, lo, hi)

        return self._ask(question)

    def blocks(self, now: float) -> list[Block] | None:
        """Every real block (no gaps), oldest first, from the block cache."""

        def question(ledger: Ledger) -> list[Block] | None:
            cache = BlockCache(ledger, self.prices, self.prices.cost, None, self.root_ids)
            return cache.blocks(now, ledger.load_resets())

        return self._ask(question)

    def between(self, lo: float, hi: float) -> list[Entry] | None:
        """The responses with lo <= ts < hi, oldest first (a short span: a block, a month)."""
        return self._ask(lambda ledger: list(ledger.responses_between(lo, hi, ordered=True)))

    def close(self) -> None:
        """Close the connection on its own thread, and end that thread (the server stops)."""

        def close() -> None:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None

        self._thread.submit(close).result()
        self._thread.shutdown()
