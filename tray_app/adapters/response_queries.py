"""Narrow reads of single responses: one session's, only in the quarter-hours it used.

Reports answer from the maintained aggregates; these are for the few that must show
single responses (one session's rates). Time ranges are `Ledger.responses_between`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.ledger_recovery import RESPONSE_COLUMNS
from tray_app.usage.model import Entry
from tray_app.usage.rollup import QUARTER

# SQLite binds at most 32766 parameters (older builds 999): session ids go in chunks.
MAX_PARAMS = 900


def spans(quarters: Iterable[int]) -> list[tuple[float, float]]:
    """Time ranges [lo, hi) covering these UTC quarter-hours, neighbours merged."""
    out: list[list[int]] = []
    for q in sorted(set(quarters)):
        if out and out[-1][1] == q:
            out[-1][1] = q + 1
        else:
            out.append([q, q + 1])
    return [(a * QUARTER, b * QUARTER) for a, b in out]


def session_responses(
    ledger: Ledger,
    sessions: Collection[str],
    quarters: Iterable[int],
    lo: float,
    hi: float,
) -> list[Entry]:
    """The responses of `sessions` with lo <= ts < hi, read only in the quarter-hours
    the rollup says they used (so the cost follows the sessions, not the history)."""
    ids = sorted(sessions)
    cols = ", ".join(RESPONSE_COLUMNS)
    out: list[Entry] = []
    with translated(ledger.path):
        for a, b in spans(quarters):
            a, b = max(a, lo), min(b, hi)
            if not a < b:
                continue
            for i in range(0, len(ids), MAX_PARAMS):
                chunk = ids[i : i + MAX_PARAMS]
                marks = ", ".join("?" * len(chunk))
                cursor = ledger.db.execute_sql(
                    f"SELECT {cols}, '' FROM responses WHERE ts >= ? AND ts < ? "
                    f"AND session_id IN ({marks})",
                    (a, b, *chunk),
                )
                out += map(Entry._make, cursor)
    return out


def response_count(ledger: Ledger) -> int:
    """How many responses the ledger holds (doctor)."""
    with translated(ledger.path):
        row = ledger.db.execute_sql("SELECT COUNT(*) FROM responses").fetchone()
    return int(row[0])
