"""The ledger's maintained rollup: usage per UTC quarter-hour, session and model.

A trigger on `responses` records the earliest time any write touched (in the writer's own
transaction, whoever the writer is); the next reader rebuilds the rollup from that
quarter-hour on, reading only the responses since then (an index on `ts`). A report
after one new line therefore reads one quarter-hour of responses and the rollup rows,
never all history. Costs depend on the price table: another table rebuilds it all.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence

from tray_app.adapters.block_cache import TIME_INDEX, price_fingerprint
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS
from tray_app.usage.model import Entry, Totals
from tray_app.usage.pricing import PriceTable
from tray_app.usage.rollup import QUARTER, CostFn, Part, parts_of

log = logging.getLogger(__name__)
VERSION = "1"
SUMS = "input, output, cache_creation, cache_read, cost_usd, responses, unpriced_responses, " \
    "unpriced_tokens"  # fmt: skip
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS usage_rollup (q INTEGER NOT NULL, session_id TEXT NOT NULL, "
    "model TEXT NOT NULL, input INTEGER, output INTEGER, cache_creation INTEGER, "
    "cache_read INTEGER, cost_usd REAL, responses INTEGER, unpriced_responses INTEGER, "
    "unpriced_tokens INTEGER, first REAL, last REAL, PRIMARY KEY (q, session_id, model)) "
    "WITHOUT ROWID",
    # dirty: the earliest response time written since the last rebuild (NULL: up to date).
    "CREATE TABLE IF NOT EXISTS usage_rollup_state (id INTEGER PRIMARY KEY CHECK (id = 0), "
    "dirty REAL, prices TEXT)",
    TIME_INDEX,
    "CREATE TRIGGER IF NOT EXISTS usage_rollup_ins AFTER INSERT ON responses BEGIN "
    "UPDATE usage_rollup_state SET dirty = min(coalesce(dirty, new.ts), new.ts); END",
    "CREATE TRIGGER IF NOT EXISTS usage_rollup_upd AFTER UPDATE ON responses BEGIN "
    "UPDATE usage_rollup_state SET dirty = min(coalesce(dirty, new.ts), new.ts, old.ts); END",
    "CREATE TRIGGER IF NOT EXISTS usage_rollup_del AFTER DELETE ON responses BEGIN "
    "UPDATE usage_rollup_state SET dirty = min(coalesce(dirty, old.ts), old.ts); END",
)


def _part(row: Sequence[object]) -> Part:
    q, sid, model, i, o, cc, cr, cost, n, un, ut, first, last = row
    totals = Totals(i, o, cc, cr, cost, n, un, ut)  # type: ignore[arg-type]
    return Part(q, sid, model, totals, first, last)  # type: ignore[arg-type]


def _row(p: Part) -> tuple[object, ...]:
    t = p.totals
    return (p.q, p.session_id, p.model, t.input_tokens, t.output_tokens,
            t.cache_creation_tokens, t.cache_read_tokens, t.cost_usd, t.responses,
            t.unpriced_responses, t.unpriced_tokens, p.first, p.last)  # fmt: skip


class Rollup:
    """Parts from the ledger's rollup table, brought up to date on first use."""

    def __init__(self, ledger: Ledger, prices: PriceTable, cost_of: CostFn) -> None:
        self.ledger = ledger
        self.cost_of = cost_of
        self.fingerprint = VERSION + price_fingerprint(prices)

    def update(self) -> bool:
        """Rebuild from the first changed quarter-hour; False when the ledger cannot be
        written now (busy, full: the caller counts from the responses instead)."""
        try:
            with self.ledger.writing() as db:
                for sql in SCHEMA:
                    db.execute_sql(sql)
                row = db.execute_sql("SELECT dirty, prices FROM usage_rollup_state").fetchone()
                if row is None or row[1] != self.fingerprint:
                    dirty: float | None = -math.inf  # never built, or other prices: all of it
                else:
                    dirty = row[0]
                if dirty is not None:
                    self._rebuild(dirty)
        except LedgerError as exc:
            log.warning("usage rollup not updated: %s", exc)
            return False
        return True

    def _rebuild(self, dirty: float) -> None:
        db = self.ledger.db
        lo = -math.inf if dirty == -math.inf else (dirty // QUARTER) * QUARTER
        if lo == -math.inf:
            db.execute_sql("DELETE FROM usage_rollup")
            responses = self._stream()  # a full build holds parts, never every response
        else:
            db.execute_sql("DELETE FROM usage_rollup WHERE q >= ?", (int(lo // QUARTER),))
            responses = iter(self.ledger.entries_between(lo))
        marks = ", ".join("?" * 13)
        db.cursor().executemany(
            f"INSERT INTO usage_rollup VALUES ({marks})",
            [_row(p) for p in parts_of(responses, self.cost_of)],
        )
        db.execute_sql("DELETE FROM usage_rollup_state")
        db.execute_sql(
            "INSERT INTO usage_rollup_state VALUES (0, NULL, ?)", (self.fingerprint,)
        )  # fmt: skip

    def _stream(self) -> Iterator[Entry]:
        cursor = self.ledger.db.execute_sql(
            f"SELECT {', '.join(RESPONSE_COLUMNS)}, '' FROM responses"
        )
        return map(Entry._make, cursor)

    def parts(self, lo: float = -math.inf, hi: float = math.inf) -> list[Part]:
        """Parts of the responses with lo <= ts < hi (edge quarter-hours from the responses)."""
        if not lo < hi:
            return []
        q_lo = math.ceil(lo / QUARTER) if math.isfinite(lo) else -(2**62)
        q_hi = math.floor(hi / QUARTER) if math.isfinite(hi) else 2**62
        if q_lo >= q_hi:  # the window lies within one quarter-hour
            return parts_of(self._between(lo, hi), self.cost_of)
        with translated(self.ledger.path):
            cursor = self.ledger.db.execute_sql(
                f"SELECT q, session_id, model, {SUMS}, first, last FROM usage_rollup "
                "WHERE q >= ? AND q < ?",
                (q_lo, q_hi),
            )
            whole = [_part(r) for r in cursor]
        edges: list[Entry] = []
        if lo != -math.inf and lo < q_lo * QUARTER:
            edges += self._between(lo, q_lo * QUARTER)
        if hi != math.inf and q_hi * QUARTER < hi:
            edges += self._between(q_hi * QUARTER, hi)
        return whole + parts_of(edges, self.cost_of)

    def _between(self, lo: float, hi: float) -> list[Entry]:
        with translated(self.ledger.path):
            return self.ledger.entries_between(lo, hi)
