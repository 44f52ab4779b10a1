"""Finished 5-hour blocks kept in the ledger: a restart reads only the open block's responses.

A finished block never changes unless a response or reset at or before its end is
written; `Ledger.write` then drops it and every later one. Costs depend on the price
table, so a different table (a new bundled file, a user override) empties the cache.
"""

from __future__ import annotations

import gc
import json
import logging
import math
from collections.abc import Callable, Iterable, Sequence, Set
from itertools import chain
from typing import TYPE_CHECKING

from tray_app.adapters.digest import sha256_prefix
from tray_app.adapters.earlier_blocks import EARLIER_COLUMNS, Earlier, earlier_of
from tray_app.adapters.ledger import BATCH, Ledger, LedgerError
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS
from tray_app.usage.model import Entry, ResetNotice, Totals
from tray_app.usage.pricing import PriceTable
from tray_app.usage.reports import sum_totals, totals_of

# The block classes load when blocks are read or built: daily/sessions/models reach this
# module only for the rollup's TIME_INDEX and price_fingerprint (~1 ms of their start).
if TYPE_CHECKING:
    from tray_app.usage.block_builder import BlockBuilder
    from tray_app.usage.blocks import Block

log = logging.getLogger(__name__)
# Responses by time: narrow reads (the open block, today, the last 7 days, edges).
TIME_INDEX = "CREATE INDEX IF NOT EXISTS responses_ts ON responses (ts)"
CostFn = Callable[[Entry], "float | None"]
COLUMNS = "start, end, first, last, official, input, output, cache_creation, cache_read, " \
    "cost_usd, responses, unpriced_responses, unpriced_tokens, models"  # fmt: skip
COLUMNS_OF_RESPONSES = ", ".join(RESPONSE_COLUMNS)
# What a block needs of a response, in block_bulk.Row's order (no key, ids or session).
ROW_COLUMNS = "ts, model, input, cache_5m, cache_1h, cache_read, output, web_search, speed, " \
    "geo, cost_usd"  # fmt: skip
# Columns added after the first release (ALTERed into an older ledger's cache on first use).
ADDED = {
    "unpriced_responses": "INTEGER NOT NULL DEFAULT 0",
    "unpriced_tokens": "INTEGER NOT NULL DEFAULT 0",
    "models": "TEXT NOT NULL DEFAULT '[]'",
}
# v2: cost_usd is the priced part, with the unpriced counts beside it; v3: per-model totals
CACHE_VERSION = "3"


def price_fingerprint(prices: PriceTable, roots: Sequence[str] = ()) -> str:
    """A digest of everything that prices a response, and of the roots the blocks cover."""
    parts = [
        *sorted(roots),
        CACHE_VERSION,
        prices.checked,
        repr(prices.us_only_multiplier),
        repr(prices.web_search_per_1000),
    ]
    parts += [f"{m}={prices.price_for(m)!r}" for m in sorted(prices.models)]
    return sha256_prefix("\n".join(parts).encode())


def _sums(t: Totals) -> list[object]:
    return [t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_read_tokens,
            t.cost_usd, t.responses, t.unpriced_responses, t.unpriced_tokens]  # fmt: skip


def _row(b: Block) -> tuple[object, ...]:
    models = json.dumps([[m.model, *_sums(m.totals)] for m in b.models])
    return (b.start, b.end, b.first_activity, b.last_activity, b.official_reset,
            *_sums(b.totals), models)  # fmt: skip


def _time(e: Entry) -> float:
    return e.timestamp


def _block(row: Sequence[object]) -> Block:
    from tray_app.usage.blocks import Block, ModelShare

    start, end, first, last, official, i, o, cc, cr, cost, n, un, ut, models = row
    totals = Totals(i, o, cc, cr, cost or 0.0, n, un, ut)  # type: ignore[arg-type]
    # Per model, in the order the block was built with (most tokens first).
    shares = tuple(ModelShare(m, Totals(*sums)) for m, *sums in json.loads(str(models)))
    return Block(start, end, first, last, totals, shares, False, False, bool(official))  # type: ignore[arg-type]


class BlockCache:
    """Blocks for `status` from cached finished ones plus the responses after them."""

    def __init__(
        self,
        ledger: Ledger,
        prices: PriceTable,
        cost_of: CostFn,
        loaded: Iterable[Entry] | None = None,
        roots: Sequence[str] = (),
        exclude: Set[str] = frozenset(),
    ) -> None:
        self.ledger = ledger
        self.loaded = loaded  # responses already in memory: no second copy from SQLite
        self.cost_of = cost_of  # prices as `prices.cost` does (callers may memoize it)
        # Streamed responses are priced once each: a memo of them would only cost time.
        self.price: CostFn = prices.cost
        self.usd = prices.usd  # the same prices, for the bulk read's rows
        # The cache holds one set of roots' blocks: other roots (or prices) empty it.
        self.fingerprint = price_fingerprint(prices, roots)
        self.exclude = exclude  # responses of other roots (adapters/roots_ledger.py)
        # After `blocks`: the open block's first time and responses (all from that time on).
        self._held: tuple[float, list[Entry]] | None = None
        # After `blocks(recent=...)`: the cached blocks before the ones returned, summed.
        self.earlier = Earlier()

    def _between(self, lo: float, hi: float = 1e18, after: bool = False) -> list[Entry]:
        found = self.ledger.entries_between(lo, hi, after)
        return [e for e in found if e.key not in self.exclude] if self.exclude else found

    def _add_columns(self) -> None:
        have = {row[1] for row in self.ledger.db.execute_sql("PRAGMA table_info(block_cache)")}
        for name, kind in ADDED.items():
            if name not in have:
                self.ledger.db.execute_sql(f"ALTER TABLE block_cache ADD COLUMN {name} {kind}")

    def _empty(self) -> None:
        """An empty cache, for these prices and roots."""
        self.ledger.db.execute_sql("DELETE FROM block_cache")
        self.ledger.db.execute_sql(
            "INSERT OR REPLACE INTO meta VALUES ('block_cache_prices', ?)", (self.fingerprint,)
        )

    def _cached(self, recent: float | None = None) -> list[Block]:
        """The cached blocks (from `recent` on, and at least the last: the rest summed in
        `earlier`): decoding a block costs ~10 us, a year of them ~20 ms."""
        db = self.ledger.db
        self._add_columns()  # a ledger (or a rebuilt cache table) from before them
        self.earlier = Earlier()
        args: tuple[float, ...]
        if self.ledger.meta("block_cache_prices") != self.fingerprint:
            self._empty()
            return []
        where, args = "", ()  # every block
        if recent is not None:
            newest = db.execute_sql("SELECT max(start) FROM block_cache").fetchone()[0]
            if newest is not None and recent > newest:
                recent = newest  # the last block resumes the builder: always read
            old = f"SELECT {EARLIER_COLUMNS} FROM block_cache WHERE start < ? ORDER BY start"
            self.earlier = earlier_of(db.execute_sql(old, (recent,)))
            where, args = "WHERE start >= ? ", (recent,)
        rows = db.execute_sql(f"SELECT {COLUMNS} FROM block_cache {where}ORDER BY start", args)
        return [_block(r) for r in rows]

    def blocks(
        self, now: float, resets: Sequence[ResetNotice], recent: float | None = None
    ) -> list[Block] | None:
        """Every real block (no gaps), oldest first; the newest may be active. With `recent`,
        only the blocks from then on (and at least the newest): `earlier` sums the rest.

        None when the ledger cannot be written now (busy, full): count from the responses.
        """
        from tray_app.usage.block_model import runs_into

        builder = self.builder(resets, now, recent)
        if builder is None:
            return None
        first, closed = builder.open_first, builder.closed
        # `window` takes the open block from here, unless a closed block shares its time.
        shared = closed and runs_into(closed[-1].last_activity, first)
        self._held = None if first is None or shared else (first, builder.responses())
        return builder.blocks(now)

    def builder(
        self, resets: Sequence[ResetNotice], now: float | None = None, recent: float | None = None
    ) -> BlockBuilder | None:
        """The block builder resumed from the cached blocks and fed every later response.

        Its newly closed blocks are stored (with `now`, also an open block the clock has
        ended: the next command need not read it again); it holds only the open block's
        responses. None when the ledger cannot be written now (busy, full): count from
        the responses.
        """
        try:
            # One write transaction (the ledger's guard): the cache and the responses after
            # it are read from one snapshot, and finished blocks are stored with them.
            with self.ledger.writing():
                return self._resume(resets, now, recent)
        except LedgerError as exc:
            log.warning("block cache not used: %s", exc)
            return None

    def _resume(
        self, resets: Sequence[ResetNotice], now: float | None, recent: float | None = None
    ) -> BlockBuilder:
        from tray_app.usage.block_builder import BlockBuilder
        from tray_app.usage.block_model import storable

        cached = self._cached(recent)
        last = cached[-1].last_activity if cached else None
        since = -1.0 if last is None else last
        if self.loaded is not None:
            builder = BlockBuilder(self.cost_of, resets, cached)
            builder.feed(sorted((e for e in self.loaded if e.timestamp > since), key=_time))
        else:
            builder = BlockBuilder(self.price, resets, cached)
            if self.exclude or cached:  # (a resume reads the open block: Entries at once)
                self._stream(builder, since)
            else:
                self._bulk(builder)
        if self.loaded is None:
            # The time index makes the next resume read only the open block's responses
            # (without it every restart scans and sorts the whole table: O(history)). Built
            # once, after the first build's sorted read (`_bulk` reads the open block by it).
            self.ledger.db.execute_sql(TIME_INDEX)
        if now is not None:
            builder.settle(now)
        fresh = builder.closed[len(cached) :]
        self._store(fresh[: storable(fresh, builder.open_first)])
        return builder

    def _store(self, fresh: Sequence[Block]) -> None:
        if fresh:
            marks = ", ".join("?" * 14)
            self.ledger.db.cursor().executemany(
                f"INSERT OR REPLACE INTO block_cache ({COLUMNS}) VALUES ({marks})",
                [_row(b) for b in fresh],
            )

    def store_seeded(self, closed: Sequence[Block]) -> None:
        """Inside a write transaction: `closed` are every finished block of the ledger's
        responses (adapters/block_seed.py), stored as a first build would store them."""
        self._add_columns()
        self._empty()
        self._store(closed)
        self.ledger.db.execute_sql(TIME_INDEX)  # a resume reads the open block by it

    def _stream(self, builder: BlockBuilder, since: float) -> None:
        """Feed the responses after `since` in time order (ties in key order, as a sorted
        full read), a batch at a time: a first build never holds every response."""
        exclude = self.exclude
        # Strictly after `since` in SQL: the cached block's last time may hold many.
        sql = (
            f"SELECT {COLUMNS_OF_RESPONSES}, '' FROM responses WHERE ts > ? AND ts < ? ORDER BY ts"
        )
        make = Entry._make
        with translated(self.ledger.path):
            cursor = self.ledger.db.execute_sql(sql, (since, math.inf))
            while rows := cursor.fetchmany(BATCH):
                batch = map(make, rows)
                builder.feed([e for e in batch if e.key not in exclude] if exclude else batch)

    def _bulk(self, builder: BlockBuilder) -> None:
        """A first build: `_stream` of every response without an Entry each.

        `BlockBuilder.feed_rows` sums plain rows and asks only the open block's responses
        as Entries (by the time index)."""
        db = self.ledger.db
        # Every response: a scan and one sort beat the time index, which costs a lookup per
        # row (the planner would take it when the rollup built it first).
        sql = f"SELECT {ROW_COLUMNS} FROM responses NOT INDEXED ORDER BY ts"

        def held(first: float, count: int) -> list[Entry]:
            db.execute_sql(TIME_INDEX)  # (the next resume needs it too)
            # Ties in key order, as the sorted read above: its last `count` are the block's.
            return list(self.ledger.responses_between(first, ordered=True))[-count:]

        collecting = gc.isenabled()
        # Rows make no cycles; a block's rows held until it closes would only be walked.
        gc.disable()
        try:
            with translated(self.ledger.path):
                cursor = db.execute_sql(sql)
                rows = chain.from_iterable(iter(lambda: cursor.fetchmany(BATCH), []))
                builder.feed_rows(rows, self.usd, held)
        finally:
            if collecting:
                gc.enable()

    def window(self, blocks: Sequence[Block], lo: float, hi: float) -> Totals:
        """Totals of responses with lo <= ts < hi: whole blocks plus the edges, from SQL;
        after `blocks`, the open block's responses (all from its first on) from memory."""
        if self._held is None or hi <= self._held[0]:
            return self._window(blocks, lo, hi)
        first, held = self._held
        mine = totals_of((e for e in held if lo <= e.timestamp < hi), self.cost_of)
        return mine if lo >= first else sum_totals([self._window(blocks, lo, first), mine])

    def _window(self, blocks: Sequence[Block], lo: float, hi: float) -> Totals:
        from tray_app.usage.block_model import runs_into

        # Blocks hold consecutive runs of responses in time order: the run of those whose
        # responses all lie in [lo, hi) counts whole, the responses before and after it
        # are read. A run edge where two blocks share a time (a reset notice split one
        # time, or ended a block before its opening response) moves inwards.
        span = [(b.first_activity, b.last_activity) for b in blocks]
        inside = [k for k, (f, t) in enumerate(span) if f is not None and t is not None
                  and f >= lo and t < hi]  # fmt: skip
        i, j = (inside[0], inside[-1]) if inside else (1, 0)
        while i <= j and i > 0 and runs_into(span[i - 1][1], span[i][0]):
            i += 1
        while j >= i and j + 1 < len(span) and runs_into(span[j][1], span[j + 1][0]):
            j -= 1
        if i > j:
            return totals_of(self._between(lo, hi), self.cost_of)
        first, last = span[i][0], span[j][1]
        assert first is not None and last is not None
        head = self._between(lo, first)
        tail = self._between(last, hi, after=True)
        parts = [b.totals for b in blocks[i : j + 1]]
        return sum_totals([*parts, totals_of(head, self.cost_of), totals_of(tail, self.cost_of)])
