"""Each model's busy time from per-quarter-hour activity: average rates without every response.

A model's average rate counts the time between its consecutive responses, each gap at most
`IDLE_GAP` (nights do not dilute it). That sum splits exactly at any time boundary: the
gaps inside each UTC quarter-hour, plus the gap from one quarter-hour's last response to
the next one's first. So a per-quarter-hour record (count, busy seconds, first, last)
answers for any window of whole quarter-hours, and the edges add their own responses.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tray_app.usage.burn import rate_span
from tray_app.usage.model import Entry, Totals
from tray_app.usage.reports import ModelSummary
from tray_app.usage.rollup import quarter

IDLE_GAP = 300.0  # reports.models' default idle gap, seconds


@dataclass(frozen=True, slots=True)
class Activity:
    """One model's responses within one UTC quarter-hour."""

    q: int
    model: str
    responses: int
    busy: float  # seconds between its consecutive responses inside the quarter (capped)
    first: float
    last: float


def activity_of(stamps: Iterable[tuple[float, str]], idle_gap: float = IDLE_GAP) -> list[Activity]:
    """Activity records of responses given as (time, model): the one rule of the table."""
    times: dict[tuple[int, str], list[float]] = {}
    for at, name in stamps:
        times.setdefault((quarter(at), name), []).append(at)
    out = []
    for (q, model), ts in times.items():
        ts.sort()
        busy = sum(min(b - a, idle_gap) for a, b in itertools.pairwise(ts))
        out.append(Activity(q, model, len(ts), busy, ts[0], ts[-1]))
    return out


def stamps_of(entries: Iterable[Entry]) -> Iterable[tuple[float, str]]:
    """(time, model) of each response."""
    return ((e.timestamp, e.model) for e in entries)


def busy_by_model(
    records: Iterable[Activity], idle_gap: float = IDLE_GAP
) -> dict[str, tuple[float, int]]:
    """Per model: busy seconds and response count over disjoint records."""
    by_model: dict[str, list[Activity]] = {}
    for a in records:
        by_model.setdefault(a.model, []).append(a)
    out = {}
    for model, acts in by_model.items():
        acts.sort(key=lambda a: a.first)
        busy = sum(a.busy for a in acts)
        busy += sum(min(b.first - a.last, idle_gap) for a, b in itertools.pairwise(acts))
        out[model] = (busy, sum(a.responses for a in acts))
    return out


def model_summaries(
    totals: Mapping[str, Totals],
    busy: Mapping[str, tuple[float, int]],
    recent: Mapping[str, Totals],
) -> list[ModelSummary]:
    """What reports.models gives, from per-model totals, busy time and last-minute totals."""
    grand = sum(t.total_tokens for t in totals.values())
    out = []
    for name, t in totals.items():
        seconds, count = busy.get(name, (0.0, t.responses))
        active = rate_span(seconds, count)  # None: too little busy time to call it a rate
        last = recent.get(name)
        out.append(
            ModelSummary(
                name,
                t,
                t.total_tokens / grand if grand else 0.0,
                None if active is None else t.total_tokens / active,
                None if active is None else t.cost_usd / active,
                (last.total_tokens if last else 0) / 60.0,
                (last.cost_usd if last else 0.0) / 60.0,
            )
        )
    out.sort(key=lambda m: m.totals.total_tokens, reverse=True)
    return out
