"""The live state kept in step with the ledger it shares with other processes."""

from __future__ import annotations

import logging

from tray_app.adapters import write_mark
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.scanner import Engine
from tray_app.service.live_start import start_state
from tray_app.service.live_state import LiveState
from tray_app.usage.model import Entry
from tray_app.usage.pricing import PriceTable

log = logging.getLogger(__name__)


class LedgerSync:
    """Starts the live state, feeds it history after a time, notices others' writes."""

    def __init__(
        self, state: LiveState, engine: Engine, ledger: Ledger | None, prices: PriceTable
    ) -> None:
        self.state = state
        self.engine = engine
        self.ledger = ledger
        self.prices = prices
        self._version: int | None = None  # the ledger's data version the state has seen
        # This connection's own marks (written by the engine's flushes) and the one seen.
        self._marks = write_mark.watch(ledger) if ledger is not None else write_mark.Watch()
        self.restarts = 0  # how often the live state started again from the ledger

    def start(self, now: float) -> None:
        """The first state, from the ledger's aggregates (or every response without one)."""
        self._others_wrote()  # the version the state below is read at (or after)
        self._look_at_marks()
        start_state(self.state, self.engine, self.ledger, self.prices, now)

    def _look_at_marks(self) -> None:
        """Remember the ledger's mark before a state is read from it: a write after this
        changes the mark, so the next look starts again (one too many at worst)."""
        marks = self._marks
        marks.others = False
        if self.ledger is not None:
            try:
                marks.seen = write_mark.current(self.ledger)
            except LedgerError as exc:
                log.warning("cannot read the ledger's mark: %s", exc)
                marks.seen = None  # never equal to a mark: the next commit restarts

    def _others_wrote(self) -> bool:
        """Whether another process committed to the ledger since the last look."""
        if self.ledger is None:
            return False
        try:
            version = self.ledger.data_version()
        except LedgerError as exc:
            log.warning("cannot tell whether others wrote to the ledger: %s", exc)
            return False
        moved, self._version = version != self._version, version
        return moved

    def _others_counted(self) -> bool:
        """Whether another process wrote responses or resets the live state lacks.

        Commits that count nothing (the dashboard's rollup, alerts, block cache rows)
        cost one read of the mark; without a mark (a ledger older than marks) any
        commit by another connection counts, as before marks.
        """
        moved = self._others_wrote()
        marks = self._marks
        if marks.others:  # one of our writes replaced a mark we had not seen
            return True
        if not moved or self.ledger is None:
            return False
        try:
            mark = write_mark.current(self.ledger)
        except LedgerError as exc:
            log.warning("cannot read the ledger's mark: %s", exc)
            return True
        return mark is None or mark != marks.seen

    def restart_if_others_wrote(self, now: float) -> bool:
        """Start the live state again from the ledger when another process wrote to it.

        A response a CLI run (or a second live view) counted first is no change for this
        engine, so it would never reach the live figures: the ledger's aggregates have it.
        """
        if self.ledger is None or not self._others_counted():
            return False
        try:
            self.engine.flush()  # this engine's own changes first: the ledger then holds all
            # Notices the other process read first (a limit message ends a block early).
            self.engine.notices_from_ledger()
        except LedgerError as exc:
            log.warning("live figures not restarted from the ledger yet: %s", exc)
            self._marks.others = True  # look again at the next scan or tick
            return False
        # Sessions the other process saw first: their project is in the ledger only.
        projects = self.engine.projects
        for sid, project in self.ledger.projects().items():
            if project:
                projects.setdefault(sid, project)
        self._look_at_marks()
        start_state(self.state, self.engine, self.ledger, self.prices, now)
        self.restarts += 1
        log.debug("live figures restarted from the ledger (another process counted)")
        return True

    def history(self, since: float) -> list[Entry]:
        """Counted responses after `since` (a change older than the open block regroups
        from there): from the ledger once pending changes are written, not all history."""
        engine, ledger = self.engine, self.ledger
        if ledger is not None:
            try:
                engine.flush()
            except LedgerError as exc:  # busy or full: the engine still has them in memory
                log.warning("regrouping from every response: %s", exc)
            else:
                outside = engine.outside
                found = ledger.entries_between(since, after=True)
                return [e for e in found if e.key not in outside] if outside else found
        return [e for e in engine.entries if e.timestamp > since]
