"""The rollup summed inside SQLite: per model, per session and model, or per local day.

A report that does not need every quarter-hour row (per day, per model) asks the ledger
for the sums, so what crosses into Python is O(result), not O(quarter-hours of history).
The window's edge quarter-hours come from the responses, as `Rollup.parts` reads them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import tzinfo

from tray_app.adapters.ledger_errors import translated
from tray_app.adapters.usage_rollup import Rollup
from tray_app.usage.local_quarters import offsets
from tray_app.usage.model import Totals
from tray_app.usage.rollup import QUARTER, Part

SUMS = ", ".join(
    f"SUM({c})"
    for c in ("input", "output", "cache_creation", "cache_read", "cost_usd", "responses",
              "unpriced_responses", "unpriced_tokens")
)  # fmt: skip
GROUPS = {"model": ("''", "model"), "session": ("session_id", "session_id, model")}


def _part(row: Sequence[object]) -> Part:
    q, sid, model, i, o, cc, cr, cost, n, un, ut, first, last = row[:13]
    totals = Totals(i, o, cc, cr, cost, n, un, ut)  # type: ignore[arg-type]
    return Part(q, sid, model, totals, first, last)  # type: ignore[arg-type]


def _bounds(lo: float, hi: float) -> tuple[int, int]:
    q_lo = math.ceil(lo / QUARTER) if math.isfinite(lo) else -(2**62)
    q_hi = math.floor(hi / QUARTER) if math.isfinite(hi) else 2**62
    return q_lo, q_hi


def _edges(rollup: Rollup, lo: float, hi: float, q_lo: int, q_hi: int) -> list[Part]:
    out = []
    if math.isfinite(lo) and lo < q_lo * QUARTER:
        out += rollup.parts(lo, q_lo * QUARTER)
    if math.isfinite(hi) and q_hi * QUARTER < hi:
        out += rollup.parts(q_hi * QUARTER, hi)
    return out


def merged_parts(rollup: Rollup, lo: float, hi: float, by: str) -> list[Part]:
    """The window's parts summed per model (`by="model"`) or per session and model.

    Each merged part spans its rows' first to last response; its `q` is the first row's.
    """
    if not lo < hi:
        return []
    q_lo, q_hi = _bounds(lo, hi)
    if q_lo >= q_hi:  # the window lies within one quarter-hour
        return rollup.parts(lo, hi)
    session, group = GROUPS[by]
    with translated(rollup.ledger.path):
        cursor = rollup.ledger.db.execute_sql(
            f"SELECT MIN(q), {session}, model, {SUMS}, MIN(first), MAX(last) FROM usage_rollup "
            f"WHERE q >= ? AND q < ? GROUP BY {group}",
            (q_lo, q_hi),
        )
        whole = [_part(r) for r in cursor]
    return whole + _edges(rollup, lo, hi, q_lo, q_hi)


def day_parts(rollup: Rollup, lo: float, hi: float, tz: tzinfo) -> list[Part] | None:
    """The window's parts summed per local day (in `tz`) and model; None when the zone's
    offsets are not whole quarter-hours (then sum the rows)."""
    if not lo < hi:
        return []
    q_lo, q_hi = _bounds(lo, hi)
    if q_lo >= q_hi:
        return rollup.parts(lo, hi)
    db = rollup.ledger.db
    with translated(rollup.ledger.path):
        span = db.execute_sql(
            "SELECT MIN(q), MAX(q) FROM usage_rollup WHERE q >= ? AND q < ?", (q_lo, q_hi)
        ).fetchone()
        whole: list[Part] = []
        if span[0] is not None:
            stretches = offsets(tz, span[0], span[1])
            if stretches is None:
                return None
            # The offset of each stretch of quarters, as one CASE over the stretch starts.
            case = " ".join("WHEN q < ? THEN ?" for _ in stretches[1:])
            params: list[int] = []
            for (_, off), (start, _) in itertools.pairwise(stretches):
                params += [start, off]
            day = f"(q * {QUARTER} + CASE {case} ELSE ? END) / 86400" if case else (
                f"(q * {QUARTER} + ?) / 86400"
            )  # fmt: skip
            params.append(stretches[-1][1])
            cursor = db.execute_sql(
                f"SELECT MIN(q), '', model, {SUMS}, MIN(first), MAX(last), {day} AS day "
                "FROM usage_rollup WHERE q >= ? AND q < ? GROUP BY day, model",
                (*params, q_lo, q_hi),
            )
            whole = [_part(r) for r in cursor]
    return whole + _edges(rollup, lo, hi, q_lo, q_hi)


def session_quarters(rollup: Rollup, sessions: Sequence[str], lo: float, hi: float) -> list[int]:
    """The quarter-hours in which these sessions have responses, around lo..hi."""
    q_lo = math.floor(lo / QUARTER) if math.isfinite(lo) else -(2**62)
    q_hi = math.ceil(hi / QUARTER) if math.isfinite(hi) else 2**62
    out: list[int] = []
    ids = list(sessions)
    with translated(rollup.ledger.path):
        for i in range(0, len(ids), 900):  # SQLite's bound on parameters
            chunk = ids[i : i + 900]
            cursor = rollup.ledger.db.execute_sql(
                "SELECT DISTINCT q FROM usage_rollup WHERE q >= ? AND q <= ? AND session_id IN "
                f"({', '.join('?' * len(chunk))})",
                (q_lo, q_hi, *chunk),
            )
            out += (row[0] for row in cursor)
    return out
