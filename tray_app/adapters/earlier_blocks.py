"""The cached blocks a report leaves out, summed: all-time figures without decoding each block.

`status` shows the all-time totals, the largest block (the "max" limit) and the models it
has no price for, but lists only the recent blocks. Decoding a cached block costs ~10 us
(a year of daily use is ~1,750 blocks); summing its columns costs a fraction of that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tray_app.usage.model import Totals

NO_TOTALS = Totals()
# What `Earlier` needs of a cached block (its models only when some responses are unpriced).
EARLIER_COLUMNS = (
    "input, output, cache_creation, cache_read, cost_usd, responses, unpriced_responses, "
    "unpriced_tokens, last, CASE WHEN unpriced_responses > 0 THEN models END"
)


@dataclass(frozen=True, slots=True)
class Earlier:
    """The cached blocks a `blocks(recent=...)` read left out, as `status` needs them: their
    sums in time order (`cost_usd` unrounded: `sum_totals` rounds once, at the end), the
    largest block, the models with unpriced responses, the last response's time."""

    totals: Totals = NO_TOTALS
    peak: int | None = None
    unpriced: frozenset[str] = frozenset()
    last_activity: float | None = None


def earlier_of(rows: Iterable[Sequence[Any]]) -> Earlier:
    """`Earlier` of cached block rows (EARLIER_COLUMNS, oldest first)."""
    t = [0, 0, 0, 0, 0, 0, 0]
    cost, peak, last = 0.0, None, None
    unpriced: set[str] = set()
    for i, o, cc, cr, c, n, un, ut, latest, models in rows:
        # What `sum_totals` adds, in the same order: the same float sum.
        t[0], t[1], t[2], t[3] = t[0] + i, t[1] + o, t[2] + cc, t[3] + cr
        t[4], t[5], t[6] = t[4] + n, t[5] + un, t[6] + ut
        cost += c or 0.0
        tokens = i + o + cc + cr
        peak = tokens if peak is None or tokens > peak else peak
        last = latest if latest is not None and (last is None or latest > last) else last
        if models is not None:  # (read only for a block with unpriced responses)
            unpriced.update(m for m, *sums in json.loads(str(models)) if sums[6])
    totals = Totals(t[0], t[1], t[2], t[3], cost, t[4], t[5], t[6])
    return Earlier(totals, peak, frozenset(unpriced), last)
