"""Usage rolled up per UTC quarter-hour, session and model: reports sum parts, not responses.

Every time zone's offset is a whole number of quarter-hours, so a quarter-hour never
straddles a local day (or week, or month): summing parts by `period_of(part.first)` gives
exactly what grouping the responses gives. A part keeps its first and last response time,
so sessions keep their exact spans too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tray_app.usage.grouping import Row, model_order
from tray_app.usage.model import Entry, Totals, TotalsBuilder
from tray_app.usage.reports import sum_totals

QUARTER = 900  # seconds per bucket
CostFn = Callable[[Entry], "float | None"]


def quarter(ts: float) -> int:
    """The UTC quarter-hour holding `ts`."""
    return int(ts // QUARTER)


@dataclass(frozen=True, slots=True)
class Part:
    """One session's use of one model within one UTC quarter-hour."""

    q: int
    session_id: str
    model: str
    totals: Totals
    first: float
    last: float

    @property
    def timestamp(self) -> float:
        """When the part's first response was written (its day is the part's day)."""
        return self.first

    @property
    def cwd(self) -> str:
        """Parts carry no working dir: a session's project comes from its first line."""
        return ""


def parts_of(entries: Iterable[Entry], cost_of: CostFn) -> list[Part]:
    """Roll responses up into parts (the one rule the ledger's table is built with)."""
    acc: dict[tuple[int, str, str], tuple[TotalsBuilder, list[float]]] = {}
    for e in entries:
        k = (quarter(e.timestamp), e.session_id, e.model)
        got = acc.get(k)
        if got is None:
            got = acc[k] = (TotalsBuilder(), [e.timestamp, e.timestamp])
        got[0].add(e, cost_of(e))
        span = got[1]
        if e.timestamp < span[0]:
            span[0] = e.timestamp
        elif e.timestamp > span[1]:
            span[1] = e.timestamp
    return [Part(q, s, m, b.build(), span[0], span[1]) for (q, s, m), (b, span) in acc.items()]


def group_parts(parts: Iterable[Part], key_of: Callable[[Part], str]) -> list[Row]:
    """Rows by key, sorted by key, each with its per-model totals (as grouping.group)."""
    acc: dict[str, dict[str, list[Totals]]] = {}
    span: dict[str, list[float]] = {}
    for p in parts:
        key = key_of(p)
        acc.setdefault(key, {}).setdefault(p.model, []).append(p.totals)
        s = span.get(key)
        if s is None:
            span[key] = [p.first, p.last]
        else:
            s[0], s[1] = min(s[0], p.first), max(s[1], p.last)
    rows = []
    for key in sorted(acc):
        per_model = {m: sum_totals(ts) for m, ts in acc[key].items()}
        rows.append(Row(key, sum_totals(per_model.values()), model_order(per_model), *span[key]))
    return rows


def unpriced_in(parts: Iterable[Part]) -> list[str]:
    """Models with at least one unpriced response, sorted."""
    return sorted({p.model for p in parts if p.totals.unpriced_responses})
