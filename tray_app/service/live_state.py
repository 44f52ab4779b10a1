"""The live usage state: running totals and incremental blocks (aggregator thread only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from tray_app.usage.blocks import Block, ModelShare, build_blocks
from tray_app.usage.dedup import Change
from tray_app.usage.model import BLOCK_SECONDS as BLOCK
from tray_app.usage.model import Entry, ResetNotice, Totals, TotalsBuilder
from tray_app.usage.rollup import Part

CostFn = Callable[[Entry], "float | None"]


@dataclass(slots=True)
class SessionAcc:
    """One session's running figures."""

    acc: TotalsBuilder = field(default_factory=TotalsBuilder)
    first: float = float("inf")
    last: float = float("-inf")
    models: Counter[str] = field(default_factory=Counter)


def _absorb(acc: TotalsBuilder, t: Totals) -> None:
    """Add finished totals (a rollup part) to running sums."""
    acc.input_tokens += t.input_tokens
    acc.output_tokens += t.output_tokens
    acc.cache_creation_tokens += t.cache_creation_tokens
    acc.cache_read_tokens += t.cache_read_tokens
    acc.cost += t.cost_usd
    acc.unpriced += t.unpriced_responses
    acc.unpriced_tokens += t.unpriced_tokens
    acc.responses += t.responses


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
        # By the copy itself, not its key: a replaced copy must come out at its own price.
        self._costs: dict[Entry, float | None] = {}
        self.total = TotalsBuilder()
        self.sessions: dict[str, SessionAcc] = {}
        self.resets: list[ResetNotice] = []
        self.fixed: list[Block] = []  # finished blocks and gaps, oldest first
        self.tail: dict[str, Entry] = {}  # responses of the newest block
        self.tail_after = 0.0  # end of the last fixed block
        self.tail_blocks: list[Block] = []
        self.last_update: float | None = None
        # Running sums of the open block (total, per model), built on first use.
        self._open: tuple[TotalsBuilder, dict[str, TotalsBuilder]] | None = None

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

    def start_from(
        self,
        blocks: list[Block],
        parts: Iterable[Part],
        tail: Iterable[Entry],
        resets: Iterable[ResetNotice],
    ) -> None:
        """Start from the ledger's aggregates: every block (the newest built from `tail`,
        its responses), and all history per quarter-hour, session and model.

        Only the open block's responses are held: memory does not grow with history.
        """
        self.total = TotalsBuilder()
        self.sessions = {}
        for p in parts:
            s = self.sessions.get(p.session_id)
            if s is None:
                s = self.sessions[p.session_id] = SessionAcc()
            _absorb(s.acc, p.totals)
            _absorb(self.total, p.totals)
            s.first, s.last = min(s.first, p.first), max(s.last, p.last)
            s.models[p.model] += p.totals.responses
        self.last_update = max((s.last for s in self.sessions.values()), default=None)
        self.resets = sorted(resets, key=lambda r: r.timestamp)
        self._open = None
        self.fixed = blocks[:-1]
        self.tail_after = _last_end(self.fixed)
        start = blocks[-1].start if blocks else 0.0
        self.tail = {e.key: e for e in tail if e.timestamp >= start} if blocks else {}
        self.tail_blocks = blocks[-1:]

    def regroup(self, entries: Iterable[Entry], now: float) -> None:
        """Group every response into blocks again (start-up and rare catch-up)."""
        self._open = None
        blocks = build_blocks(entries, now, self.cost_of, self.resets)
        self.fixed = blocks[:-1]
        self.tail_after = _last_end(self.fixed)
        start = blocks[-1].start if blocks else 0.0
        self.tail = {e.key: e for e in entries if e.timestamp >= start} if blocks else {}
        self.tail_blocks = blocks[-1:]
        self._prune()

    def _prune(self) -> None:
        """Keep prices of the open block's responses only: memory stays O(open block)."""
        tail = self.tail
        self._costs = {e: c for e, c in self._costs.items() if tail.get(e.key) == e}

    def cost_of(self, e: Entry) -> float | None:
        """USD of a counted response, priced once."""
        try:
            cost = self._costs[e]
        except KeyError:
            cost = self._costs[e] = self._price(e)
        return cost

    def _cost_out(self, e: Entry) -> float | None:
        """The price of a copy being taken out (forgotten: it will not come back)."""
        cost = self._costs.pop(e, None)
        return self._price(e) if cost is None else cost

    def _count(self, e: Entry, sign: int) -> None:
        cost = self.cost_of(e) if sign > 0 else self._cost_out(e)
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
        changes = list(changes)
        moved: set[str] = set()  # sessions whose first/last response moved earlier
        for change in changes:
            old = change.old
            if old is not None:
                self._count(old, -1)
                s = self.sessions.get(old.session_id)
                edges = () if s is None else (s.first, s.last, self.last_update)
                if old.timestamp != change.new.timestamp and old.timestamp in edges:
                    moved.add(old.session_id)
            self._count(change.new, 1)
            if change.new.timestamp >= tail_start:
                self.tail[change.new.key] = change.new
            else:
                full = True  # older than the open block: finished blocks may change
            if self.last_update is None or change.new.timestamp > self.last_update:
                self.last_update = change.new.timestamp
        every = list(everything()) if full or moved else []
        if moved:
            self._respan(moved, every)
        if full:
            self.regroup(every, now)
        elif new_resets or not self._grow(changes, now):
            self.tick(now)

    def _respan(self, sids: set[str], every: list[Entry]) -> None:
        """First/last times of sessions anew (a response moved to an earlier copy's time)."""
        # Rare: only a replacement that moves a session's edge time comes here.
        spans = {sid: self.sessions[sid] for sid in sids}
        for s in spans.values():
            s.first, s.last = float("inf"), float("-inf")
        for e in every:
            acc = spans.get(e.session_id)
            if acc is not None:
                acc.first = min(acc.first, e.timestamp)
                acc.last = max(acc.last, e.timestamp)
        self.last_update = max((e.timestamp for e in every), default=None)

    def _grow(self, changes: list[Change], now: float) -> bool:
        """Add changes to the open block's running sums when all of them land in it.

        The common live case (new responses at the end of the open block) then costs the
        same whatever the block's size; anything else is regrouped exactly.
        """
        if len(self.tail_blocks) != 1 or self.tail_blocks[0].last_activity is None:
            return False
        if any(c.old is not None and c.old.timestamp != c.new.timestamp for c in changes):
            return False  # moved to an earlier copy's time: the block's edges may move too
        block = self.tail_blocks[0]
        last = block.last_activity
        assert last is not None
        for ts in sorted(c.new.timestamp for c in changes if c.old is None):
            if ts > last:
                over = ts >= block.end if block.official_reset else ts - block.start > BLOCK
                if over or ts - last > BLOCK:
                    return False  # it opens a new block: regroup
                last = ts
        if self._open is None:
            # Built once per regroup; the tail holds exactly the open block's responses.
            total = TotalsBuilder()
            per_model: dict[str, TotalsBuilder] = {}
            for e in self.tail.values():
                cost = self.cost_of(e)
                total.add(e, cost)
                per_model.setdefault(e.model, TotalsBuilder()).add(e, cost)
            self._open = (total, per_model)
        else:
            total, per_model = self._open
            for c in changes:
                if c.old is not None:
                    self._open_add(c.old, -1)
                self._open_add(c.new, 1)
        models = tuple(
            ModelShare(m, acc.build())
            for m, acc in sorted(per_model.items(), key=lambda kv: -kv[1].build().total_tokens)
            if acc.responses > 0
        )
        active = now < block.end and now - last < BLOCK
        first = min([block.first_activity or last, *(c.new.timestamp for c in changes)])
        self.tail_blocks = [
            Block(block.start, block.end, first, last, total.build(), models, active, False,
                  block.official_reset)
        ]  # fmt: skip
        self._join_gap(self.tail_blocks[0])
        return True

    def _join_gap(self, block: Block) -> None:
        """The gap before `block` (the open one) ends at its first response, which may move."""
        if self.fixed and self.fixed[-1].is_gap:
            first = block.first_activity
            if first is not None and first <= self.fixed[-1].start:
                # Moved to within 5 h of the block before: there is no idle gap any more.
                self.fixed.pop()
            elif first is not None and self.fixed[-1].end != first:
                self.fixed[-1] = replace(self.fixed[-1], end=first)

    def _open_add(self, e: Entry, sign: int) -> None:
        assert self._open is not None
        total, per_model = self._open
        cost = self.cost_of(e) if sign > 0 else self._cost_out(e)
        total.add(e, cost, sign)
        per_model.setdefault(e.model, TotalsBuilder()).add(e, cost, sign)

    def tick(self, now: float) -> None:
        """Regroup the tail only (time alone can end a block or change its activity)."""
        self._open = None
        if not self.tail:
            self.tail_blocks = []
            return
        tail_start = min(e.timestamp for e in self.tail.values())
        resets = [r for r in self.resets if r.timestamp >= tail_start - 5 * 3600]
        blocks = build_blocks(self.tail.values(), now, self.cost_of, resets, self.tail_after)
        self._join_gap(blocks[0])  # before any of them becomes fixed
        if len(blocks) > 1:
            # Earlier tail blocks are finished for good: fix them and keep the newest open.
            self.fixed.extend(blocks[:-1])
            self.tail_after = _last_end(blocks[:-1])
            start = blocks[-1].start
            self.tail = {k: e for k, e in self.tail.items() if e.timestamp >= start}
            self._prune()
        self.tail_blocks = blocks[-1:]

    @property
    def blocks(self) -> list[Block]:
        """Every block, oldest first (the last one may be active)."""
        return [*self.fixed, *self.tail_blocks]

    def recent(self, now: float, seconds: float = 60.0) -> list[Entry]:
        """Responses of the last `seconds` (they are all in the tail)."""
        return [e for e in self.tail.values() if now - seconds <= e.timestamp <= now]
