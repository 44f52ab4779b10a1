"""The dashboard's history views from the ledger's aggregates: cost O(what is shown).

The same JSON as web/views.py computes from every response, built from rollup parts
(quarter-hours never straddle a local day or hour, so days and the heatmap are exact in
any zone), per-model activity, the block cache and narrow ranges of responses (the open
block, the current budget periods, the last minute).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from math import inf, nextafter
from typing import Any

from tray_app.adapters.history_source import HistorySource
from tray_app.service.snapshot import Snapshot
from tray_app.usage.budgets import PERIODS, budget_status, period_bounds
from tray_app.usage.json_fields import epoch, model_json, round_usd, session_json, totals_json
from tray_app.usage.model import Entry, Totals
from tray_app.usage.model_activity import busy_by_model, model_summaries
from tray_app.usage.reports import session_summary, sum_totals, totals_of
from tray_app.usage.rollup import group_parts
from tray_app.web import views

CostFn = Callable[[Entry], "float | None"]


daily_json = views.parts_daily_json  # one builder for the ledger's parts and the feed's


def _days_start(tz: tzinfo, now: float) -> float:
    today = datetime.fromtimestamp(now, tz).date()
    first = today - timedelta(days=views.HISTORY_DAYS - 1)
    return datetime.combine(first, datetime.min.time(), tz).timestamp()


def history_json(
    source: HistorySource,
    snap: Snapshot | None,
    cost_of: CostFn,
    tz: tzinfo,
    now: float,
    meta: tuple[Mapping[str, str], Mapping[str, str]],
    budgets: Mapping[str, float],
) -> dict[str, Any] | None:
    """Everything views computes for the history page, or None when the ledger cannot say."""
    names, projects = meta
    up_to_now = nextafter(now, inf)  # the views count responses at `now` too
    every = source.merged(-inf, inf, "session")  # summed per session and model by SQLite
    week = source.parts(now - 7 * 86400, up_to_now)
    recent_days = source.parts(_days_start(tz, now), up_to_now)
    activity = source.activity(-inf, inf)
    blocks = source.blocks(now)
    last_minute = source.between(now - 60.0, up_to_now)
    if None in (every, week, recent_days, activity, blocks, last_minute):
        return None
    assert every is not None and week is not None and recent_days is not None
    assert activity is not None and blocks is not None and last_minute is not None
    by_model = {row.key: row.totals for row in group_parts(every, lambda p: p.model)}
    out: dict[str, Any] = {
        "totals": totals_json(sum_totals(by_model.values())),
        "rolling_7d": totals_json(sum_totals(p.totals for p in week)),
        "daily": daily_json(recent_days, tz, now),
    }
    block = snap.active_block if snap is not None else None
    out["timeline"] = {
        "limit_tokens": block.limit_tokens if block else None,
        "blocks": [
            {"start": b.start, "end": b.end, "tokens": b.tokens,
             "cost_usd": round_usd(b.totals.cost_usd), "active": b.is_active}
            for b in blocks[-views.TIMELINE_BLOCKS:]
        ],
    }  # fmt: skip
    out["models"] = _models(by_model, busy_by_model(activity), last_minute, cost_of)
    inside = None if block is None else source.between(block.block.start, block.resets_at)
    out["block"] = views.block_series(inside or [], snap)
    rows = group_parts(every, lambda p: p.session_id)
    summaries = [
        session_summary(r.key, r.totals, r.models, r.first, r.last, names, projects) for r in rows
    ]
    summaries.sort(key=lambda s: s.last_activity, reverse=True)
    out["sessions"] = [
        session_json(s, times=epoch, label=True) for s in summaries[: views.SESSION_ROWS]
    ]
    out["budgets"] = views.budgets_json(_budgets(source, cost_of, budgets, now, tz) or [])
    return out


def _models(
    totals: Mapping[str, Totals],
    busy: Mapping[str, tuple[float, int]],
    last_minute: list[Entry],
    cost_of: CostFn,
) -> list[dict[str, Any]]:
    per_model: dict[str, list[Entry]] = {}
    for e in last_minute:
        per_model.setdefault(e.model, []).append(e)
    recent = {m: totals_of(es, cost_of) for m, es in per_model.items()}
    out = []
    for m in model_summaries(totals, busy, recent):
        t = m.totals
        prompt = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens
        ratio = None if prompt == 0 else round(t.cache_read_tokens / prompt, 4)
        out.append(model_json(m) | {"cache_hit_ratio": ratio})
    return out


def _budgets(
    source: HistorySource, cost_of: CostFn, budgets: Mapping[str, float], now: float, tz: tzinfo
) -> list[Any] | None:
    """Budget status from the responses of the current periods only (at most a month)."""
    starts = [period_bounds(p, now, tz)[0] for p in PERIODS if budgets.get(p)]
    if not starts:
        return []
    entries = source.between(min(starts), nextafter(now, inf))
    return None if entries is None else budget_status(entries, cost_of, budgets, now, tz)
