"""The dashboard's JSON: the live snapshot and the history views, from plain values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tray_app.service.snapshot import SessionSummary, Snapshot
from tray_app.usage.blocks import build_blocks
from tray_app.usage.budgets import BudgetStatus
from tray_app.usage.json_fields import (
    block_limit_json,
    epoch,
    model_json,
    per_model_json,
    round_usd,
    session_json,
    totals_json,
    window_list_json,
)
from tray_app.usage.model import Entry, TotalsBuilder
from tray_app.usage.reports import models, sessions
from tray_app.usage.rollup import Part, parts_of

CostFn = Callable[[Entry], "float | None"]
HISTORY_DAYS = 90
TIMELINE_BLOCKS = 60
SESSION_ROWS = 40


def _session(s: SessionSummary) -> dict[str, Any]:
    return session_json(s, times=epoch, label=True)


def live_json(snap: Snapshot | None) -> dict[str, Any]:
    """The live part of the page: status, the active block with its limit, rates."""
    if snap is None:
        return {"status": "starting"}
    block = None
    b = snap.active_block
    if b is not None:
        block = {
            "start": b.block.start, "end": b.resets_at, "official_reset": b.block.official_reset,
            "first_activity": b.block.first_activity, "last_activity": b.block.last_activity,
            **totals_json(b.block.totals),
            **block_limit_json(b.limit_tokens, b.limit_source, b.percent),
            "limit_label": b.limit_source.label,
            "tokens_per_minute": b.tokens_per_minute, "usd_per_hour": round_usd(b.usd_per_hour),
            "projected_tokens": b.projected_tokens,
            "projected_cost_usd": round_usd(b.projected_cost_usd),
            "seconds_to_reset": round(b.seconds_to_reset, 1),
            "models": per_model_json((m.model, m.totals) for m in b.block.models),
        }  # fmt: skip
    return {
        "status": snap.status,
        "published_at": snap.published_at,
        "totals": totals_json(snap.totals),
        "active_block": block,
        "tracked_session": None if snap.tracked_session is None else _session(
            snap.tracked_session
        ),
        "recent_sessions": [_session(s) for s in snap.recent_sessions],
        "limits": limits_json(snap),
        "tokens_per_sec_last_minute": round(snap.rates.tokens_per_sec_last_minute, 3),
        "last_update": snap.last_update,
        "error": snap.error,
    }  # fmt: skip


def limits_json(snap: Snapshot) -> list[dict[str, Any]]:
    """Each limit window the snapshot knows (five-hour, weekly, …) with its source."""
    return window_list_json(snap.limits, snap.published_at)


def daily_json(entries: Sequence[Entry], cost_of: CostFn, tz: tzinfo, now: float) -> dict[str, Any]:
    """Tokens and cost per local day and model over the last HISTORY_DAYS days."""
    today = datetime.fromtimestamp(now, tz).date()
    first = datetime.combine(today - timedelta(days=HISTORY_DAYS - 1), datetime.min.time(), tz)
    lo = first.timestamp()
    # Rolled up first, so the ledger's parts and a count of responses share one builder.
    kept = [e for e in entries if lo <= e.timestamp <= now]
    return parts_daily_json(parts_of(kept, cost_of), tz, now)


def parts_daily_json(parts: Sequence[Part], tz: tzinfo, now: float) -> dict[str, Any]:
    """daily_json from rollup parts of the last HISTORY_DAYS days (lo <= ts <= now)."""
    today = datetime.fromtimestamp(now, tz).date()
    days = [(today - timedelta(days=i)).isoformat() for i in range(HISTORY_DAYS - 1, -1, -1)]
    index = {d: i for i, d in enumerate(days)}
    tokens: dict[str, list[int]] = {}
    cost: dict[str, list[float]] = {}
    unpriced: set[str] = set()
    heat = [[0] * 24 for _ in range(7)]  # [weekday Monday=0][local hour]
    for p in sorted(parts, key=lambda p: p.first):
        local = datetime.fromtimestamp(p.first, tz)  # a part lies within one local hour
        i = index.get(local.date().isoformat())
        if i is None:
            continue
        t = p.totals
        tokens.setdefault(p.model, [0] * len(days))[i] += t.total_tokens
        cost.setdefault(p.model, [0.0] * len(days))[i] += t.cost_usd
        if t.unpriced_responses:
            unpriced.add(p.model)
        heat[local.weekday()][local.hour] += t.total_tokens
    order = sorted(tokens, key=lambda m: -sum(tokens[m]))
    return {
        "days": days,
        "models": order,
        "tokens": [tokens[m] for m in order],
        "cost": [[round(v, 6) for v in cost[m]] for m in order],
        "unpriced_models": sorted(unpriced),
        "heatmap": heat,
    }


def blocks_json(
    entries: Sequence[Entry], cost_of: CostFn, now: float, limit: int | None
) -> dict[str, Any]:
    """The last TIMELINE_BLOCKS blocks (no gaps) with the current limit line."""
    blocks = [b for b in build_blocks(entries, now, cost_of) if not b.is_gap][-TIMELINE_BLOCKS:]
    return {
        "limit_tokens": limit,
        "blocks": [
            {"start": b.start, "end": b.end, "tokens": b.tokens,
             "cost_usd": round_usd(b.totals.cost_usd), "active": b.is_active}
            for b in blocks
        ],
    }  # fmt: skip


def block_series(entries: Sequence[Entry], snap: Snapshot | None) -> dict[str, Any] | None:
    """The active block's running token total over time, for the burn chart (≤ 400 points)."""
    b = snap.active_block if snap is not None else None
    if b is None:
        return None
    inside = sorted((e for e in entries if b.block.start <= e.timestamp < b.resets_at),
                    key=lambda e: e.timestamp)  # fmt: skip
    points: list[tuple[float, int]] = [(b.block.start, 0)]
    total = 0
    for e in inside:
        total += e.total_tokens
        points.append((e.timestamp, total))
    step = max(1, len(points) // 400)
    kept = points[::step] if points[-1] in points[::step] else [*points[::step], points[-1]]
    return {
        "start": b.block.start, "end": b.resets_at, "now": snap.published_at if snap else None,
        "times": [t for t, _ in kept], "tokens": [v for _, v in kept],
        "limit_tokens": b.limit_tokens, "projected_tokens": b.projected_tokens,
    }  # fmt: skip


def models_json(entries: Sequence[Entry], cost_of: CostFn, now: float) -> list[dict[str, Any]]:
    """Per model: tokens, share, cost and cache-hit ratio (reads of all prompt tokens)."""
    out = []
    for m in models(entries, cost_of, now):
        t = m.totals
        prompt = t.input_tokens + t.cache_creation_tokens + t.cache_read_tokens
        ratio = None if prompt == 0 else round(t.cache_read_tokens / prompt, 4)
        out.append(model_json(m) | {"cache_hit_ratio": ratio})  # the CLI's model object, + ratio
    return out


def sessions_json(
    entries: Sequence[Entry],
    cost_of: CostFn,
    names: Mapping[str, str],
    projects: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The most recent sessions with names and projects."""
    return [_session(s) for s in sessions(entries, cost_of, names, projects)[:SESSION_ROWS]]


def budgets_json(statuses: Sequence[BudgetStatus]) -> list[dict[str, Any]]:
    """Each budget with spending, forecast and run-out time."""
    return [
        {"period": s.period, "start": s.start, "end": s.end, "budget_usd": s.budget_usd,
         "spent_usd": round_usd(s.spent_usd), "percent": round(s.percent, 2),
         "unpriced": s.unpriced, "forecast_usd": round_usd(s.forecast_usd),
         "runs_out_at": s.runs_out_at}
        for s in statuses
    ]  # fmt: skip


def window_totals(
    entries: Sequence[Entry], cost_of: CostFn, lo: float = float("-inf"), hi: float = float("inf")
) -> dict[str, Any]:
    """Totals of the responses with lo <= time <= hi (all of them: `status --json` totals)."""
    acc = TotalsBuilder()
    for e in entries:
        if lo <= e.timestamp <= hi:
            acc.add(e, cost_of(e))
    return totals_json(acc.build())


def tz_name(tz: tzinfo, now: float) -> str:
    """A label for the page's timezone note."""
    return str(getattr(tz, "key", None) or datetime.fromtimestamp(now, tz).tzname() or UTC)
