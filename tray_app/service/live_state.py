"""The live usage state: running totals and incremental blocks (aggregator thread only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tray_app.usage.blocks import Block, build_blocks
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, ResetNotice, TotalsBuilder

CostFn = Callable[[Entry], "float | None"]


@dataclass(slots=True)
class SessionAcc:
    """One session's running figures."""

    acc: TotalsBuilder = field(default_factory=TotalsBuilder)
    first: float = float("inf")
    last: float = float("-inf")
    models: Counter[str] = field(default_factory=Counter)


def _last_end(blocks: list[Block]) -> float:
    """End of the newest real block (a gap's end is a response time, not a boundary)."""
    return next((b.end for b in reversed(blocks) if not b.is_gap), 0.0)


class LiveState:
    """Totals, sessions and blocks kept current by applying changes, not by recounting.

    Only the open block's responses (the tail) are regrouped on a change; finished blocks
    are fixed unless a change lands before the tail (catch-up of old data): then all is
    regrouped once.
    """

    def __init__(self, cost_of: CostFn) -> None:
        self._price = cost_of
        self._costs: dict[str, float | None] = {}  # by key: regrouping the tail re-reads them
        self.total = TotalsBuilder()
        self.sessions: dict[str, SessionAcc] = {}
        self.resets: list[ResetNotice] = []
        self.fixed: list[Block] = []  # finished blocks and gaps, oldest first
        self.tail: dict[str, Entry] = {}  # responses of the newest block
        self.tail_after = 0.0  # end of the last fixed block
        self.tail_blocks: list[Block] = []
        self.last_update: float | None = None

    def load(self, entries: Iterable[Entry], resets: Iterable[ResetNotice], now: float) -> None:
        """Start from a full set of responses (the ledger's, at start-up)."""
        self.total = TotalsBuilder()
        self.sessions = {}
        entries = list(entries)
        for e in entries:
            self._count(e, 1)
        self.last_update = max((e.timestamp for e in entries), default=None)
        self.resets = sorted(resets, key=lambda r: r.timestamp)
        self.regroup(entries, now)

    def regroup(self, entries: Iterable[Entry], now: float) -> None:
        """Group every response into blocks again (start-up and rare catch-up)."""
        blocks = build_blocks(entries, now, self.cost_of, self.resets)
        self.fixed = blocks[:-1]
        self.tail_after = _last_end(self.fixed)
        start = blocks[-1].start if blocks else 0.0
        self.tail = {e.key: e for e in entries if e.timestamp >= start} if blocks else {}
        self.tail_blocks = blocks[-1:]

    def cost_of(self, e: Entry) -> float | None:
        """USD of a counted response, priced once."""
        try:
            cost = self._costs[e.key]
        except KeyError:
            cost = self._costs[e.key] = self._price(e)
        return cost

    def _count(self, e: Entry, sign: int) -> None:
        if sign > 0:
            self._costs.pop(e.key, None)  # a replacing copy has its own price
        cost = self.cost_of(e)
        self.total.add(e, cost, sign)
        s = self.sessions.get(e.session_id)
        if s is None:
            s = self.sessions[e.session_id] = SessionAcc()
        s.acc.add(e, cost, sign)
        s.models[e.model] += sign
        if s.models[e.model] <= 0:
            del s.models[e.model]
        if sign > 0:
            s.first = min(s.first, e.timestamp)
            s.last = max(s.last, e.timestamp)

    def apply(
        self,
        changes: Iterable[Change],
        resets: Iterable[ResetNotice],
        now: float,
        everything: Callable[[], Iterable[Entry]],
    ) -> None:
        """Apply new and replaced responses; a larger copy replaces the smaller one."""
        tail_start = self.tail_blocks[0].start if self.tail_blocks else float("inf")
        full = False
        new_resets = list(resets)
        if new_resets:
            self.resets = sorted([*self.resets, *new_resets], key=lambda r: r.timestamp)
            full = any(r.timestamp < tail_start for r in new_resets)
        for change in changes:
            if change.old is not None:
                self._count(change.old, -1)
            self._count(change.new, 1)
            if change.new.timestamp >= tail_start:
                self.tail[change.new.key] = change.new
            else:
                full = True  # older than the open block: finished blocks may change
            if self.last_update is None or change.new.timestamp > self.last_update:
                self.last_update = change.new.timestamp
        if full:
            self.regroup(list(everything()), now)
        else:
            self.tick(now)

    def tick(self, now: float) -> None:
        """Regroup the tail only (time alone can end a block or change its activity)."""
        if not self.tail:
            self.tail_blocks = []
            return
        tail_start = min(e.timestamp for e in self.tail.values())
        resets = [r for r in self.resets if r.timestamp >= tail_start - 5 * 3600]
        blocks = build_blocks(self.tail.values(), now, self.cost_of, resets, self.tail_after)
        if len(blocks) > 1:
            # Earlier tail blocks are finished for good: fix them and keep the newest open.
            self.fixed.extend(blocks[:-1])
            self.tail_after = _last_end(blocks[:-1])
            start = blocks[-1].start
            self.tail = {k: e for k, e in self.tail.items() if e.timestamp >= start}
        self.tail_blocks = blocks[-1:]

    @property
    def blocks(self) -> list[Block]:
        """Every block, oldest first (the last one may be active)."""
        return [*self.fixed, *self.tail_blocks]

    def recent(self, now: float, seconds: float = 60.0) -> list[Entry]:
        """Responses of the last `seconds` (they are all in the tail)."""
        return [e for e in self.tail.values() if now - seconds <= e.timestamp <= now]
