"""Aggregates: per session, per model, per day/week, rolling totals (pure)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from tray_app.usage.burn import rate_span
from tray_app.usage.model import Entry, Totals, TotalsBuilder

if TYPE_CHECKING:  # grouping imports this module (sum_totals)
    from tray_app.usage.grouping import Row

CostFn = Callable[[Entry], "float | None"]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One session's figures: the one type of the CLI reports, the live view and the dashboard."""

    session_id: str
    name: str  # "" when the user has not named it
    project_path: str
    first_activity: float
    last_activity: float
    totals: Totals
    models: tuple[str, ...]  # most tokens first, then by name (when tokens are known)

    @property
    def label(self) -> str:
        """Name if set, else project folder and short id."""
        if self.name:
            return self.name
        project = self.project_path.rstrip("/").rsplit("/", 1)[-1] or "session"
        return f"{project} · {self.session_id[:8]}"


def session_summary(
    session_id: str,
    totals: Totals,
    models: Iterable[str],
    first: float,
    last: float,
    names: Mapping[str, str] | None = None,
    projects: Mapping[str, str] | None = None,
) -> SessionSummary:
    """The one builder: a session's sums with its name and project (from the ledger) looked up.

    `models` keeps the caller's order (reports: most tokens first; the live view, which
    counts no per-model tokens, by name).
    """
    name = (names or {}).get(session_id, "")
    path = (projects or {}).get(session_id, "")
    return SessionSummary(session_id, name, path, first, last, totals, tuple(models))


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """One model's figures and rates."""

    model: str
    totals: Totals
    share: float  # of all tokens, 0..1
    avg_tokens_per_sec: float | None  # over the minutes it was in use
    avg_usd_per_sec: float | None  # priced part, like every cost
    last_minute_tokens_per_sec: float
    last_minute_usd_per_sec: float


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """One day or week in the user's timezone."""

    period: str  # "2026-02-10" or the week's Monday "2026-02-09"
    totals: Totals
    models: tuple[str, ...]


def totals_of(entries: Iterable[Entry], cost_of: CostFn) -> Totals:
    """Sum of a set of responses."""
    acc = TotalsBuilder()
    for e in entries:
        acc.add(e, cost_of(e))
    return acc.build()


def sum_totals(parts: Iterable[Totals]) -> Totals:
    """Totals of disjoint parts (e.g. blocks, which cover every response once)."""
    t = [0, 0, 0, 0, 0, 0, 0]
    cost = 0.0
    for p in parts:
        t[0] += p.input_tokens
        t[1] += p.output_tokens
        t[2] += p.cache_creation_tokens
        t[3] += p.cache_read_tokens
        t[4] += p.responses
        t[5] += p.unpriced_responses
        t[6] += p.unpriced_tokens
        cost += p.cost_usd
    return Totals(t[0], t[1], t[2], t[3], round(cost, 9), t[4], t[5], t[6])


def session_of_row(
    row: Row, names: Mapping[str, str] | None = None, projects: Mapping[str, str] | None = None
) -> SessionSummary:
    """A session row of the ledger's rollup (`rollup.group_parts` by session) as a summary."""
    return session_summary(row.key, row.totals, row.models, row.first, row.last, names, projects)


def by_tokens(tokens: Mapping[str, int]) -> tuple[str, ...]:
    """Model names, most tokens first, then by name (the order every report lists them in)."""
    return tuple(sorted(tokens, key=lambda m: (-tokens[m], m)))


def unpriced_models(entries: Iterable[Entry], cost_of: CostFn) -> list[str]:
    """Models whose cost is unknown (for the warning that names them)."""
    return sorted({e.model for e in entries if e.cost_usd is None and cost_of(e) is None})


def sessions(
    entries: Iterable[Entry],
    cost_of: CostFn,
    names: Mapping[str, str] | None = None,
    projects: Mapping[str, str] | None = None,
) -> list[SessionSummary]:
    """Per-session figures, most recent activity first."""
    acc: dict[str, TotalsBuilder] = {}
    span: dict[str, list[float]] = {}
    tokens: dict[str, dict[str, int]] = {}
    for e in entries:
        acc.setdefault(e.session_id, TotalsBuilder()).add(e, cost_of(e))
        s = span.get(e.session_id)
        if s is None:
            span[e.session_id] = [e.timestamp, e.timestamp]
        else:
            s[0] = min(s[0], e.timestamp)
            s[1] = max(s[1], e.timestamp)
        per_model = tokens.setdefault(e.session_id, {})
        per_model[e.model] = per_model.get(e.model, 0) + e.total_tokens
    out = [
        session_summary(sid, b.build(), by_tokens(tokens[sid]), span[sid][0], span[sid][1],
                        names, projects)
        for sid, b in acc.items()
    ]  # fmt: skip
    out.sort(key=lambda s: s.last_activity, reverse=True)
    return out


def models(
    entries: Iterable[Entry], cost_of: CostFn, now: float, idle_gap: float = 300.0
) -> list[ModelSummary]:
    """Per-model totals, share, average rate over active time and last-minute rate."""
    by_model: dict[str, list[Entry]] = {}
    for e in entries:
        by_model.setdefault(e.model, []).append(e)
    grand = sum(e.total_tokens for es in by_model.values() for e in es)
    out: list[ModelSummary] = []
    for name, es in by_model.items():
        es.sort(key=lambda e: e.timestamp)
        totals = totals_of(es, cost_of)
        # Active time: consecutive responses closer than `idle_gap` count as busy time,
        # so nights and weekends do not dilute the average rate.
        busy = sum(min(b.timestamp - a.timestamp, idle_gap) for a, b in itertools.pairwise(es))
        active = rate_span(busy, len(es))  # None: too little busy time to call it a rate
        recent = [e for e in es if now - 60.0 <= e.timestamp <= now]
        recent_totals = totals_of(recent, cost_of)
        cost = totals.cost_usd
        out.append(
            ModelSummary(
                name,
                totals,
                totals.total_tokens / grand if grand else 0.0,
                None if active is None else totals.total_tokens / active,
                None if active is None else cost / active,
                recent_totals.total_tokens / 60.0,
                recent_totals.cost_usd / 60.0,
            )
        )
    out.sort(key=lambda m: m.totals.total_tokens, reverse=True)
    return out


def period_key(ts: float, tz: tzinfo, period: str) -> str:
    """The day (or the week's Monday) of a timestamp in `tz`, as YYYY-MM-DD."""
    day = datetime.fromtimestamp(ts, tz).date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    return day.isoformat()


def periods(
    entries: Iterable[Entry], cost_of: CostFn, tz: tzinfo, period: str = "day"
) -> list[PeriodSummary]:
    """Per-day or per-week figures in `tz`, oldest first."""
    acc: dict[str, TotalsBuilder] = {}
    models_seen: dict[str, set[str]] = {}
    for e in entries:
        key = period_key(e.timestamp, tz, period)
        acc.setdefault(key, TotalsBuilder()).add(e, cost_of(e))
        models_seen.setdefault(key, set()).add(e.model)
    return [PeriodSummary(k, acc[k].build(), tuple(sorted(models_seen[k]))) for k in sorted(acc)]
