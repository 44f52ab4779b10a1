"""What the web pages and /metrics read: the latest snapshot and every counted response.

The ledger reads live in adapters/ledger_readonly.py (SQL stays in adapters/); they are
re-exported here for the callers that seed a feed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.ledger_readonly import ledger_entries as ledger_entries
from tray_app.adapters.ledger_readonly import ledger_sessions as ledger_sessions
from tray_app.service.aggregator import UsageService
from tray_app.service.snapshot import Snapshot
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, Totals, TotalsBuilder
from tray_app.usage.rollup import group_parts

log = logging.getLogger(__name__)

CostFn = Callable[[Entry], "float | None"]
Seed = Callable[[], Iterable[Entry]]
Rename = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class ModelCounters:
    """All-time totals of one model (the Prometheus counters)."""

    model: str
    totals: Totals


class LiveFeed:
    """Follows a usage service: snapshots as published, responses as counted.

    The service calls in on its aggregator thread; the web server reads from its own
    thread, so everything shared sits behind one lock and readers get copies.
    """

    def __init__(
        self, cost_of: CostFn, seed: Seed | None = None, source: HistorySource | None = None
    ) -> None:
        self._cost_of = cost_of
        self._seed = seed  # the ledger's responses, read once when first needed
        self.source = source  # the ledger's aggregates: per-model totals without the seed
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._sessions: set[str] = set()  # sessions counted since the start (with a source)
        self._costs: dict[Entry, float | None] = {}
        self._changes = 0  # bumps with every counted response: caches key on it
        self.changed_at = float("-inf")  # monotonic time of the last counted response
        self._models: tuple[int, list[ModelCounters]] | None = None
        self._listeners: list[Callable[[Snapshot], None]] = []
        self.snapshot: Snapshot | None = None
        self.rename: Rename | None = None  # set by `attach`

    def attach(self, service: UsageService) -> None:
        """Follow `service` (before it starts, so no response is missed)."""
        service.subscribe(self.publish)
        service.on_response(self.apply)

        def rename(session_id: str, name: str) -> None:
            def command(s: UsageService) -> None:
                s.rename(session_id, name)
                self.bump()  # before the republish that follows every command

            service.submit(command)

        self.rename = rename
        if service.latest is not None:
            self.publish(service.latest)

    def listen(self, callback: Callable[[Snapshot], None]) -> Callable[[], None]:
        """Call `callback(snapshot)` on each publish; returns the function that stops it."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    # -- aggregator thread -----------------------------------------------------------------

    def publish(self, snapshot: Snapshot) -> None:
        """A new snapshot: keep it and tell the listeners (cheap: they only schedule work)."""
        self.snapshot = snapshot
        for callback in list(self._listeners):
            try:
                callback(snapshot)
            except Exception:
                log.exception("snapshot listener failed")

    def apply(self, change: Change) -> None:
        """A response counted or replaced by a larger copy."""
        with self._lock:
            if self.source is None:
                self._entries[change.new.key] = change.new
            else:  # the ledger answers: keep no copy (memory stays flat as history grows)
                self._sessions.add(change.new.session_id)
            self._changes += 1
            self.changed_at = time.monotonic()

    # -- any thread --------------------------------------------------------------------------

    def _load(self) -> None:
        """Fill in the ledger's responses once; copies counted since then win."""
        if self._seed is None:
            return
        seed, self._seed = self._seed, None
        rows = list(seed())  # outside the lock: a big ledger takes a moment
        with self._lock:
            for e in rows:
                self._entries.setdefault(e.key, e)
            self._changes += 1

    @property
    def version(self) -> int:
        """Changes whenever a response was counted or a session renamed (caches key on it)."""
        return self._changes

    def bump(self) -> None:
        """Something the history views show changed besides responses (a session name)."""
        with self._lock:
            self._changes += 1

    def entries(self) -> list[Entry]:
        """Every counted response (a copy)."""
        self._load()
        with self._lock:
            return list(self._entries.values())

    def sessions_seen(self) -> set[str]:
        """Sessions of the responses counted since the feed started (the seed not read)."""
        with self._lock:
            return {e.session_id for e in self._entries.values()} | self._sessions

    def cost(self, entry: Entry) -> float | None:
        """USD of one response, None when unpriced (each copy priced once)."""
        try:
            return self._costs[entry]
        except KeyError:
            cost = self._costs[entry] = self._cost_of(entry)
            return cost

    def models(self) -> list[ModelCounters]:
        """All-time totals per model, largest first (recounted only after a change).

        From the ledger's rollup when there is one (what the live service has written,
        within about a second), else from every response the feed holds.
        """
        parts = None if self.source is None else self.source.merged(-math.inf, math.inf, "model")
        if parts is not None:
            rows = group_parts(parts, lambda p: p.model)
            out = [ModelCounters(row.key, row.totals) for row in rows]
            out.sort(key=lambda m: (-m.totals.total_tokens, m.model))
            return out
        self._load()
        version = self.version
        cached = self._models
        if cached is not None and cached[0] == version:
            return cached[1]
        acc: dict[str, TotalsBuilder] = {}
        for e in self.entries():
            acc.setdefault(e.model, TotalsBuilder()).add(e, self.cost(e))
        out = [ModelCounters(m, b.build()) for m, b in acc.items()]
        out.sort(key=lambda m: (-m.totals.total_tokens, m.model))
        self._models = (version, out)
        return out
