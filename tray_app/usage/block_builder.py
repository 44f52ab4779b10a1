"""The one five-hour block rule, built response by response (docs/counting-rules.md).

`build_blocks` (reports), the block cache and the live view all feed this builder. Fed in
time order it is exactly the rule: the first response opens a block on its UTC hour; a
response more than 5 h after the block's start (or at/after an official end) or more
than 5 h after the previous one opens the next block; a reset notice inside a block
replaces its end. Live data arrives nearly in order, so the builder also takes
responses, larger copies and notices out of order, as long as they are newer than the
end of its last closed block: it holds only the open block's responses and regroups
just those when an arrival lands before its newest response. Anything older reports
`Stale`: the caller rewinds and feeds the responses after the kept blocks again.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from tray_app.usage.block_bulk import HeldFn, Row, RowCost, feed_rows
from tray_app.usage.block_model import (
    Block,
    HeldResponses,
    Stale,
    active_at,
    applies,
    ends_before,
    floor_hour,
    model_shares,
    notice_order,
    notice_time,
)
from tray_app.usage.model import BLOCK_SECONDS, Entry, ResetNotice, TotalsBuilder

__all__ = ["BlockBuilder", "Stale"]

CostFn = Callable[[Entry], "float | None"]


class BlockBuilder:
    """Closed blocks plus the open one, kept current one response at a time."""

    __slots__ = ("_end", "_first", "_last", "_members", "_notices", "_official",
                 "_pending", "_per_model", "_seq", "_start", "_total", "after", "closed",
                 "cost_of")  # fmt: skip

    def __init__(
        self,
        cost_of: CostFn,
        resets: Iterable[ResetNotice] = (),
        closed: Sequence[Block] = (),
        after: float = 0.0,
    ) -> None:
        """Start empty, or resume after `closed` blocks (those never change again).

        `after` is a lower bound for the next block's start when `closed` is not given.
        """
        self.cost_of = cost_of
        self.closed: list[Block] = [b for b in closed if not b.is_gap]
        self.after = self.closed[-1].end if self.closed else after
        five_hour = (r for r in resets if r.window == "five_hour")
        # Notices newer than the last closed block: the open block's (sorted by time).
        self._notices = sorted(
            (r for r in five_hour if r.timestamp >= self.after), key=notice_order
        )
        self._pending = 0  # index of the first notice not yet weighed against the block
        # The open block's responses by key: the copy, its price, its arrival order.
        self._members: dict[str, tuple[Entry, float | None, int]] = {}
        self._seq = 0
        self._start = self._end = 0.0
        self._official = False
        self._first = self._last = 0.0
        self._total = TotalsBuilder()
        self._per_model: dict[str, TotalsBuilder] = {}

    # -- in time order: the rule itself -------------------------------------------------

    def feed(self, ordered: Iterable[Entry]) -> None:
        """Add responses sorted by time, each newer than (or as new as) everything fed."""
        for entry in ordered:
            self._push(entry, self.cost_of(entry))

    def _push(self, entry: Entry, cost: float | None, seq: int = -1) -> None:
        ts = entry.timestamp
        if self._members:
            self._weigh(ts)
            if ends_before(ts, self._start, self._end, self._last, self._official):
                self._close()
        if not self._members:
            # Never before the previous block's end (an official reset need not be on the hour).
            self._start = max(floor_hour(ts), self.after)
            self._end = self._start + BLOCK_SECONDS
            self._official = False
            self._first = self._last = ts
            # Notices written before the opening response were weighed against the block
            # before (one that ended earlier); the first block also takes those since its hour.
            self._skip(ts if self._follows else self._start)
        self._count(entry, cost, 1, seq)
        self._last = ts

    def _weigh(self, before: float) -> None:
        """Let the notices written before `before` end the open block."""
        notices = self._notices
        while self._pending < len(notices) and notices[self._pending].timestamp < before:
            notice = notices[self._pending]
            self._pending += 1
            if applies(notice, self._start, self._end):
                self._end, self._official = notice.resets_at, True

    def _count(self, entry: Entry, cost: float | None, sign: int = 1, seq: int = -1) -> None:
        if sign > 0:
            if seq < 0:
                held = self._members.get(entry.key)
                # A larger copy keeps its response's place: equal times keep arrival order.
                if held is None:
                    self._seq += 1
                seq = held[2] if held is not None else self._seq
            self._members[entry.key] = (entry, cost, seq)
        self._total.add(entry, cost, sign)
        acc = self._per_model.get(entry.model)
        if acc is None:
            acc = self._per_model[entry.model] = TotalsBuilder()
        acc.add(entry, cost, sign)

    def _close(self) -> None:
        """The open block is final: a newer response opened the next one."""
        self._finish(self._block(self._end, self._official, False))

    def settle(self, now: float) -> None:
        """Close the open block if no response from `now` on could join it (what `_push`
        of one at `now` does; anything older written later is Stale, as for any closed block)."""
        pending = self._notices[self._pending :]
        if not self._members or (pending and pending[-1].timestamp >= now):
            return  # (a notice from the clock's future: the block stays open, as the rule has it)
        block = self.open_block(now)  # every pending notice weighed, on trial
        assert block is not None
        if ends_before(now, self._start, block.end, self._last, block.official_reset):
            # Notices after its end stay for the next block (its first may be older than now).
            self._weigh(block.end)
            self._close()

    def _finish(self, block: Block) -> None:
        self.closed.append(block)
        self.after = block.end
        # Only notices from its end on can touch the blocks to come.
        cut = bisect.bisect_left(self._notices, self.after, key=notice_time)
        self._notices = self._notices[cut:]
        self._pending = max(0, self._pending - cut)
        self._members = {}
        self._total = TotalsBuilder()
        self._per_model = {}

    def _block(self, end: float, official: bool, active: bool) -> Block:
        return Block(self._start, end, self._first, self._last, self._total.build(),
                     model_shares(self._per_model), active, False, official)  # fmt: skip

    def feed_rows(self, rows: Iterable[Row], usd: RowCost, held: HeldFn) -> None:
        """`feed` for a bulk read: rows in time order, priced by `usd` at `cost_of`'s prices.

        Closed blocks are summed from the rows (no Entry, no member each); the open
        block's responses, which it holds, are then asked of `held(first, count)`.
        """
        feed_rows(self, rows, usd, held)

    def _due(self) -> float:
        """The time of the next notice not yet weighed (inf when none)."""
        pending = self._pending
        return self._notices[pending].timestamp if pending < len(self._notices) else math.inf

    def _skip(self, floor: float) -> None:
        """Pass over the notices written before `floor` (they touch no later block)."""
        notices = self._notices
        while self._pending < len(notices) and notices[self._pending].timestamp < floor:
            self._pending += 1

    # -- live: any order ----------------------------------------------------------------

    def add(self, entry: Entry) -> Stale | None:
        """Count a new response (any time); Stale when it lands in a closed block."""
        ts = entry.timestamp
        if ts <= self._floor:
            return Stale(ts)
        if not self._members or ts >= self._last:
            self._push(entry, self.cost_of(entry))
        elif self._first <= ts:
            # Between the open block's first and newest responses: membership and end
            # cannot change, only the sums. (Before its first one, a reset notice written
            # in between could now end the block: that case is regrouped.)
            self._count(entry, self.cost_of(entry))
        else:
            self._count(entry, self.cost_of(entry))
            self._regroup()
        return None

    def replace(self, old: Entry, new: Entry) -> Stale | None:
        """A larger (or earlier) copy of a counted response replaces it (dedup.merge)."""
        got = self._members.get(old.key)
        if got is None:
            # Not in the open block: a closed block changes (or it was never fed here).
            return Stale(min(old.timestamp, new.timestamp))
        if new.timestamp <= self._floor:
            return Stale(new.timestamp)
        held, cost, _ = got  # the copy held, taken out at the price it was counted at
        self._count(held, cost, -1)
        self._count(new, self.cost_of(new))
        if new.timestamp != held.timestamp:
            self._regroup()  # the open block's edges (or its split) may move
        return None

    def reset(self, notice: ResetNotice) -> Stale | None:
        """An official reset notice (other windows never end a block)."""
        if notice.window != "five_hour":
            return None
        if notice.timestamp < self.after:
            return Stale(notice.timestamp)
        at = bisect.bisect_right(self._notices, notice_order(notice), key=notice_order)
        self._notices.insert(at, notice)
        if self._members and notice.timestamp < self._last:
            self._regroup()  # weighed out of order: regroup the open block
        elif at < self._pending:
            self._pending += 1
        return None

    def rewind(self, since: float, resets: Iterable[ResetNotice]) -> float:
        """Forget the blocks a change at `since` may touch; feed again what is newer.

        Returns the time after which every response must be fed again (in time order).
        """
        # A response at a block's end still belongs to it (strict > 5 h): keep end < since.
        # (A reset notice can end a block before its only response: check both.)
        keep = [b for b in self.closed if b.end < since and (b.last_activity or 0.0) < since]
        fresh = BlockBuilder(self.cost_of, resets, keep)
        for name in self.__slots__:
            setattr(self, name, getattr(fresh, name))
        last = keep[-1].last_activity if keep else None
        return float("-inf") if last is None else last

    def _regroup(self) -> None:
        """Group the open block's responses again in time order (they may split)."""
        # Equal times in arrival order: a notice weighed between them may split them.
        members = sorted(self._members.values(), key=lambda m: (m[0].timestamp, m[2]))
        self._members = {}
        self._total = TotalsBuilder()
        self._per_model = {}
        self._pending = 0
        for entry, cost, seq in members:
            self._push(entry, cost, seq)

    # -- views --------------------------------------------------------------------------

    def open_block(self, now: float) -> Block | None:
        """The newest block (None before any response); active while now is inside it."""
        if not self._members:
            return None
        end, official = self._end, self._official
        for notice in self._notices[self._pending :]:
            if applies(notice, self._start, end):
                end, official = notice.resets_at, True
        active = now < end and now - self._last < BLOCK_SECONDS
        return self._block(end, official, active)

    def blocks(self, now: float) -> list[Block]:
        """Every real block (no gaps), oldest first; the newest may be active."""
        shown = self.closed
        if shown and now < shown[-1].end:  # a clock before the data (a pinned --now)
            shown = [replace(b, is_active=active_at(b, now)) for b in shown]
        current = self.open_block(now)
        return [*shown, current] if current is not None else list(shown)

    @property
    def open_first(self) -> float | None:
        """The time of the open block's first response (None without an open block)."""
        return self._first if self._members else None

    def responses(self) -> list[Entry]:
        """The open block's responses (the only ones held)."""
        return [m[0] for m in self._members.values()]

    def members(self) -> Mapping[str, Entry]:
        """The open block's responses by key: a view, nothing copied."""
        return HeldResponses(self._members)

    def cost(self, entry: Entry) -> float | None:
        """The price an open-block response was counted at (priced again when unknown)."""
        got = self._members.get(entry.key)
        return got[1] if got is not None and got[0] == entry else self.cost_of(entry)

    @property
    def _floor(self) -> float:
        """Arrivals at or before this land in a closed block (or may): they are Stale."""
        if not self._follows:
            return float("-inf")
        last = self.closed[-1].last_activity if self.closed else None
        return self.after if last is None else max(self.after, last)

    @property
    def _follows(self) -> bool:
        """Whether a block ended before the open one (closed here or before a resume)."""
        return bool(self.closed) or self.after > 0.0
