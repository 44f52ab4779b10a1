"""A time zone's UTC offset per quarter-hour range: local days counted inside SQLite.

A report per local day sums the rollup's quarter-hour rows by the local day they fall on.
The ledger can do that itself when told the zone's offset for each stretch of quarters
(offsets change only at a zone's transitions, a few times a year): the local day of
quarter q is (q * 900 + offset(q)) // 86400, exact because no quarter-hour straddles a
local midnight.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from tray_app.usage.rollup import QUARTER

DAY_QUARTERS = 96  # quarter-hours per day: a zone changes its offset at most daily


def _offset(q: int, tz: tzinfo) -> int:
    delta = datetime.fromtimestamp(q * QUARTER, tz).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def offsets(tz: tzinfo, q_lo: int, q_hi: int) -> list[tuple[int, int]] | None:
    """[(first quarter, UTC offset in seconds), ...] covering q_lo..q_hi, oldest first.

    None when an offset is not a whole number of quarter-hours (no zone in use today;
    the caller sums the rows one by one instead).
    """
    out = [(q_lo, _offset(q_lo, tz))]
    q = q_lo
    while q < q_hi:
        nxt = min(q + DAY_QUARTERS, q_hi)
        current = out[-1][1]
        if _offset(nxt, tz) == current:
            q = nxt
            continue
        a, b = q, nxt  # the offset is `current` at a, another one at b: find the first
        while b - a > 1:
            m = (a + b) // 2
            a, b = (m, b) if _offset(m, tz) == current else (a, m)
        out.append((b, _offset(b, tz)))
        q = b
    if any(off % QUARTER for _, off in out):
        return None
    return out
