"""Responses an older release stored outside today's bounds are set aside, once per ledger.

The parser now rejects impossible values (a year-9999 time, a 2^63 count, a 1e300 cost),
but a ledger filled by an older release may hold such rows, and they made every report
fail (a date out of range, an integer too large for SQLite). They move, unchanged, to
`responses_rejected`, where nothing counts them and nothing is lost.
"""

from __future__ import annotations

import logging

from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.usage.parse import EARLIEST, LATEST, MAX_COST_USD, MAX_COUNT

log = logging.getLogger(__name__)
CHECKED = "bounds_checked"
VERSION = "1"
COUNTS = ("input", "output", "cache_5m", "cache_1h", "cache_read", "web_search")
OUTSIDE = " OR ".join(
    [
        f"NOT (ts >= {EARLIEST!r} AND ts < {LATEST!r})",
        *(f"NOT ({c} >= 0 AND {c} < {MAX_COUNT})" for c in COUNTS),
        f"(cost_usd IS NOT NULL AND NOT (cost_usd >= 0 AND cost_usd <= {MAX_COST_USD!r}))",
    ]
)


def set_aside_out_of_bounds(ledger: Ledger) -> int:
    """Move impossible responses to `responses_rejected` (once); how many moved."""
    if ledger.meta(CHECKED) == VERSION:
        return 0
    try:
        with ledger.writing() as db:
            db.execute_sql(
                "CREATE TABLE IF NOT EXISTS responses_rejected AS SELECT * FROM responses WHERE 0"
            )
            db.execute_sql(
                f"INSERT INTO responses_rejected SELECT * FROM responses WHERE {OUTSIDE}"
            )
            moved = int(db.execute_sql(f"DELETE FROM responses WHERE {OUTSIDE}").rowcount)
            if moved:
                db.execute_sql("DELETE FROM block_cache")  # their blocks are regrouped
            db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (CHECKED, VERSION))
    except LedgerError as exc:  # busy or full: the next run tries again
        log.warning("ledger bounds not checked: %s", exc)
        return 0
    if moved:
        log.warning("set aside %d stored responses with impossible values", moved)
    return moved
