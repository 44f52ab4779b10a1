"""The live usage state: running totals and the one block builder (aggregator thread only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tray_app.usage.block_builder import BlockBuilder, Stale
from tray_app.usage.blocks import Block, with_gaps
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry, ResetNotice, Totals, TotalsBuilder
from tray_app.usage.rollup import Part

CostFn = Callable[[Entry], "float | None"]


@dataclass(slots=True)
class SessionAcc:
    """One session's running figures."""

    acc: TotalsBuilder = field(default_factory=TotalsBuilder)
    first: float = float("inf")
    last: float = float("-inf")
    models: Counter[str] = field(default_factory=Counter)  # responses per model
    tokens: Counter[str] = field(default_factory=Counter)  # tokens per model (their order)


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


def _time(e: Entry | ResetNotice) -> float:
    return e.timestamp


class LiveState:
    """Totals, sessions and blocks kept current by applying changes, not by recounting.

    Blocks come from one `BlockBuilder` (the rule every report uses): it holds the closed
    blocks and only the open block's responses. A change older than the open block
    (a catch-up of old files) rewinds it and feeds the responses after the kept blocks.
    """

    def __init__(self, cost_of: CostFn) -> None:
        self._price = cost_of
        self.total = TotalsBuilder()
        self.sessions: dict[str, SessionAcc] = {}
        self.resets: list[ResetNotice] = []
        self.builder = BlockBuilder(cost_of)
        self.last_update: float | None = None
        self.now = 0.0  # the clock of the last change or tick (blocks are active by it)
        # The builder's closed list and its length when the gaps were last put in.
        self._shown: tuple[list[Block] | None, int, list[Block]] = (None, 0, [])

    def load(self, entries: Iterable[Entry], resets: Iterable[ResetNotice], now: float) -> None:
        """Start from a full set of responses (no usable ledger)."""
        self.total = TotalsBuilder()
        self.sessions = {}
        entries = sorted(entries, key=_time)
        for e in entries:
            self._count(e, 1, self._price(e))
        self.last_update = entries[-1].timestamp if entries else None
        self.resets = sorted(resets, key=_time)
        self.builder = BlockBuilder(self._price, self.resets)
        self.builder.feed(entries)
        self.now = now

    def start_from(
        self, builder: BlockBuilder, parts: Iterable[Part], resets: Iterable[ResetNotice],
        now: float,
    ) -> None:  # fmt: skip
        """Start from the ledger's aggregates: the block builder resumed from the block
        cache (holding the open block's responses), and all history per quarter-hour,
        session and model. Memory does not grow with the responses of history.
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
            s.tokens[p.model] += p.totals.total_tokens
        self.last_update = max((s.last for s in self.sessions.values()), default=None)
        self.resets = sorted(resets, key=_time)
        self.builder = builder
        self.now = now

    def cost_of(self, e: Entry) -> float | None:
        """USD of a counted response (the price the open block counted it at)."""
        return self.builder.cost(e)

    def _count(self, e: Entry, sign: int, cost: float | None) -> None:
        self.total.add(e, cost, sign)
        s = self.sessions.get(e.session_id)
        if s is None:
            s = self.sessions[e.session_id] = SessionAcc()
        s.acc.add(e, cost, sign)
        s.models[e.model] += sign
        s.tokens[e.model] += sign * e.total_tokens
        if s.models[e.model] <= 0:
            del s.models[e.model]
            del s.tokens[e.model]
        if sign > 0:
            s.first = min(s.first, e.timestamp)
            s.last = max(s.last, e.timestamp)

    def apply(
        self,
        changes: Iterable[Change],
        resets: Iterable[ResetNotice],
        now: float,
        history: Callable[[float], Iterable[Entry]],
    ) -> None:
        """Apply new and replaced responses; a larger copy replaces the smaller one.

        `history(t)` gives the counted responses after time t (all of them, changes
        included): only a change older than the open block or one that moves a
        session's newest time needs it, and then only from that time on.
        """
        self.now = now
        builder = self.builder
        since = float("inf")  # set when a change lands in a closed block
        for notice in resets:
            self.resets.append(notice)
            late = builder.reset(notice)
            since = min(since, late.since) if late else since
        self.resets.sort(key=_time)
        moved: dict[str, float] = {}  # session → the earlier time its newest response moved to
        keys: set[str] = set()  # the responses that moved so
        for change in changes:
            old, new = change.old, change.new
            stale: Stale | None = None
            if old is not None:
                self._count(old, -1, builder.cost(old))
                s = self.sessions.get(old.session_id)
                last = () if s is None else (s.last, self.last_update)
                # A newest response (or one moved already in this batch) moved earlier.
                if new.timestamp < old.timestamp and (old.timestamp in last or old.key in keys):
                    sid = old.session_id
                    moved[sid] = min(new.timestamp, moved.get(sid, new.timestamp))
                    keys.add(old.key)
            self._count(new, 1, self._price(new))
            if since < float("inf"):  # the builder is rewound below anyway
                since = min(since, new.timestamp, old.timestamp if old else new.timestamp)
            elif old is None:
                stale = builder.add(new)
            else:
                stale = builder.replace(old, new)
            since = min(since, stale.since) if stale else since
            if self.last_update is None or new.timestamp > self.last_update:
                self.last_update = new.timestamp
        if moved:
            self._respan(moved, history)
        if since < float("inf"):
            after = builder.rewind(since, self.resets)
            builder.feed(sorted(history(after), key=_time))

    def _respan(self, moved: dict[str, float], history: Callable[[float], Iterable[Entry]]) -> None:
        """Newest times anew: a session's newest response moved to an earlier copy's time.

        (A first time only moves earlier, which `_count` already took.) Each moved
        response is the newest of what is after its new time, so only that is read.
        """
        since = min(moved.values())
        later = list(history(since))
        for sid, at in moved.items():
            s = self.sessions[sid]
            s.last = max([at, *(e.timestamp for e in later if e.session_id == sid)])
        if self.last_update is not None and self.last_update > since:
            self.last_update = max([since, *(e.timestamp for e in later)])

    def tick(self, now: float) -> None:
        """Time alone moves: the open block may have ended (it stays until the next one
        opens, so a late line written before its end still lands in it exactly)."""
        self.now = now

    @property
    def fixed(self) -> list[Block]:
        """Closed blocks with the idle gaps between them (and before the open block)."""
        closed = self.builder.closed
        seen, count, shown = self._shown
        # Gaps computed once per closed block, not per snapshot: the builder only appends
        # to its list (a rewind starts a new one).
        if seen is not closed or count != len(closed):
            shown = with_gaps(closed)
            self._shown = (closed, len(closed), shown)
        current = self.builder.open_block(self.now)
        if current is not None and shown:
            joined = with_gaps([shown[-1], current])
            if len(joined) == 3:  # an idle gap before the open block
                return [*shown, joined[1]]
        return shown

    @property
    def blocks(self) -> list[Block]:
        """Every block, oldest first (the last one may be active)."""
        current = self.builder.open_block(self.now)
        return self.fixed + ([current] if current is not None else [])

    @property
    def tail(self) -> Mapping[str, Entry]:
        """The open block's responses by key (the only responses held)."""
        return self.builder.members()

    def recent(self, now: float, seconds: float = 60.0) -> list[Entry]:
        """Responses of the last `seconds` (they are all in the open block)."""
        return [e for e in self.builder.responses() if now - seconds <= e.timestamp <= now]
