"""Cost budgets per day, week and month: spending, forecast, run-out time, alerts (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from tray_app.usage.alerts import Alert, AlertMemory
from tray_app.usage.model import Entry

CostFn = Callable[[Entry], "float | None"]
PERIODS = ("daily", "weekly", "monthly")
_NOUN = {"daily": "day", "weekly": "week", "monthly": "month"}
BUDGET = "budget:"  # alert kind: "budget:monthly:80"
# A forecast from the first minutes of a period is noise: extrapolate after an hour.
MIN_ELAPSED = 3600.0


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget period as of `now`."""

    period: str  # daily | weekly | monthly
    start: float  # the period's bounds in the user's timezone, as epoch seconds
    end: float
    budget_usd: float
    spent_usd: float  # priced responses only
    unpriced: int  # responses without a price (their cost is unknown, not 0)
    forecast_usd: float | None  # at the period's end at the average rate so far
    runs_out_at: float | None  # when the forecast crosses the budget; None if it never does

    @property
    def percent(self) -> float:
        """Spent as a % of the budget."""
        return self.spent_usd * 100.0 / self.budget_usd


def period_bounds(period: str, now: float, tz: tzinfo) -> tuple[float, float]:
    """The local day, the week (Monday first) or the calendar month holding `now`."""
    today = datetime.fromtimestamp(now, tz).date()
    if period == "daily":
        first, last = today, today + timedelta(days=1)
    elif period == "weekly":
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=7)
    elif period == "monthly":
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown budget period {period!r}")
    return (
        datetime.combine(first, time(), tz).timestamp(),
        datetime.combine(last, time(), tz).timestamp(),
    )


def _forecast(
    spent: float, budget: float, start: float, end: float, now: float
) -> tuple[float | None, float | None]:
    elapsed = now - start
    if elapsed < MIN_ELAPSED:
        return None, (now if spent >= budget else None)
    rate = spent / elapsed
    forecast = spent + rate * max(0.0, end - now)
    if spent >= budget:
        return forecast, now
    if rate <= 0 or forecast <= budget:
        return forecast, None
    return forecast, now + (budget - spent) / rate


def budget_status(
    entries: Iterable[Entry],
    cost_of: CostFn,
    budgets: Mapping[str, float],
    now: float,
    tz: tzinfo,
) -> list[BudgetStatus]:
    """Each configured budget's spending so far and its forecast, in PERIODS order."""
    bounds = {p: period_bounds(p, now, tz) for p in PERIODS if budgets.get(p)}
    if not bounds:
        return []
    earliest = min(lo for lo, _ in bounds.values())
    spent = dict.fromkeys(bounds, 0.0)
    unpriced = dict.fromkeys(bounds, 0)
    for e in entries:
        if not earliest <= e.timestamp <= now:
            continue
        cost = cost_of(e)
        for p, (lo, hi) in bounds.items():
            if lo <= e.timestamp < hi:
                if cost is None:
                    unpriced[p] += 1
                else:
                    spent[p] += cost
    out = []
    for p, (lo, hi) in bounds.items():
        budget = float(budgets[p])
        forecast, runs_out = _forecast(spent[p], budget, lo, hi, now)
        out.append(
            BudgetStatus(p, lo, hi, budget, round(spent[p], 9), unpriced[p], forecast, runs_out)
        )
    return out


def _alert(status: BudgetStatus, threshold: int) -> Alert:
    over = "reached" if threshold >= 100 else f"at {threshold}%"
    forecast = status.forecast_usd
    return Alert(
        _kind(status, threshold),
        status.start,
        f"Claude {status.period} budget {over}",
        f"${status.spent_usd:,.2f} of ${status.budget_usd:,.2f} spent this "
        f"{_NOUN[status.period]}" + ("" if forecast is None else f"; forecast ${forecast:,.2f}"),
    )


def budget_alerts(
    memory: AlertMemory, statuses: Sequence[BudgetStatus], thresholds: Sequence[int], now: float
) -> list[Alert]:
    """Alerts for thresholds newly crossed, each at most once per period (recorded first).

    Only the highest newly crossed threshold of a period speaks; lower ones are recorded
    silently (a jump over two thresholds, or a restart late in the month).
    """
    out: list[Alert] = []
    for status in statuses:
        if math.isnan(status.percent):
            continue
        crossed = sorted(t for t in set(thresholds) if status.percent >= t)
        fresh = [t for t in crossed if not memory.fired(status.start, _kind(status, t))]
        for t in fresh:
            memory.record(status.start, _kind(status, t), now)
        if fresh and fresh[-1] == crossed[-1]:
            out.append(_alert(status, crossed[-1]))
    return out


def _kind(status: BudgetStatus, threshold: int) -> str:
    return f"{BUDGET}{status.period}:{threshold}"
