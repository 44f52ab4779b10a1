"""Report commands: status, blocks, sessions, session, daily, weekly, models."""

from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta
from typing import Any

from tray_app.cli import render as r
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage import formatting as fmt
from tray_app.usage.blocks import Block, active_block, build_blocks
from tray_app.usage.limits import Limit, compute_limit
from tray_app.usage.reports import (
    SessionSummary,
    models,
    periods,
    rolling,
    sessions,
    sum_totals,
    totals_of,
    unpriced_models,
)


def _warn_unpriced(env: Environment, data: Dataset) -> list[str]:
    missing = unpriced_models(data.entries, data.cost)
    for model in missing:
        env.warn(
            f"no price for model {model!r}: its cost is unknown (—); add it under "
            "`prices:` in the config"
        )
    return missing


def _blocks(data: Dataset, env: Environment) -> tuple[list[Block], Limit]:
    blocks = build_blocks(data.entries, env.now, data.cost, data.resets)
    s = data.settings
    return blocks, compute_limit(blocks, s.limit_mode, env.now, s.limit_tokens)


def _emit(
    env: Environment, args: argparse.Namespace, payload: dict[str, Any], text: str, compact: str
) -> None:
    if args.json:
        print(r.dumps(payload), file=env.stdout)
    elif args.compact:
        print(compact, file=env.stdout)
    else:
        print(text, file=env.stdout)


def _block_line(b: Block, limit: Limit, env: Environment, data: Dataset) -> str:
    pct = limit.percent(b.tokens)
    parts = [f"Block {fmt.compact(b.tokens)}"]
    if pct is not None:
        parts[0] += f" ({fmt.percent(pct)} of {limit.label})"
    rate = b.burn_rate()
    if rate:
        parts.append(f"{fmt.per_minute(rate[0])} · {fmt.per_hour(rate[1])}")
    parts.append(f"resets {r.local_time(b.end, data.tz, False)} ({fmt.duration(b.end - env.now)})")
    return " · ".join(parts)


def cmd_status(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Current block, today, last 7 days and all time."""
    data = load(args, env)
    blocks, limit = _blocks(data, env)
    active = active_block(blocks)
    day_start = datetime.combine(datetime.fromtimestamp(env.now, data.tz).date(), time(), data.tz)
    lo, hi = day_start.timestamp(), (day_start + timedelta(days=1)).timestamp()
    # One pass picks the last 7 days (today is inside them); all time is the blocks' sum.
    recent = [e for e in data.entries if e.timestamp >= min(lo, env.now - 7 * 86400)]
    today = totals_of((e for e in recent if lo <= e.timestamp < hi), data.cost)
    week = rolling(recent, data.cost, env.now)
    total = sum_totals(b.totals for b in blocks)
    missing = _warn_unpriced(env, data)
    payload = {
        "generated_at": r.iso(env.now),
        "active_block": None if active is None else r.block_json(active, env.now, limit),
        "limit": {"tokens": limit.tokens, "source": limit.source, "label": limit.label},
        "today": r.totals_json(today),
        "rolling_7d": r.totals_json(week),
        "totals": r.totals_json(total),
        "unpriced_models": missing,
    }
    lines = []
    if active is None:
        lines.append("No active block (idle).")
        compact = "idle"
    else:
        compact = _block_line(active, limit, env, data)
        pct = limit.percent(active.tokens)
        lim = (
            f" — {fmt.percent(pct)} of {limit.label} ({limit.tokens:,})" if pct is not None else ""
        )
        lines += [
            f"Active block  {r.local_time(active.start, data.tz, False)}–"
            f"{r.local_time(active.end, data.tz, False)}  resets in "
            f"{fmt.duration(active.end - env.now)}{' (official)' if active.official_reset else ''}",
            f"  Tokens      {active.tokens:,}{lim}",
            f"  Cost        {fmt.money(active.totals.cost_usd)}",
        ]
        rate = active.burn_rate()
        if rate:
            lines.append(f"  Burn rate   {fmt.per_minute(rate[0])} · {fmt.per_hour(rate[1])}")
        proj = active.projection(env.now)
        if proj:
            lines.append(f"  Projection  {proj[0]:,} tokens · {fmt.money(proj[1])} by the reset")
        lines.append("  Models      " + ", ".join(m.model for m in active.models))
    for label, t in (("Today", today), ("Last 7 days", week), ("All time", total)):
        lines.append(
            f"{label:<13} {t.total_tokens:,} tokens · {fmt.money(t.cost_usd)}"
            f" · {t.responses:,} responses"
        )
    compact += f" · today {fmt.compact(today.total_tokens)} {fmt.money(today.cost_usd)}"
    _emit(env, args, payload, "\n".join(lines), compact)
    return ExitStatus.OK


def cmd_blocks(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """5-hour blocks (and idle gaps), oldest first."""
    data = load(args, env)
    blocks, limit = _blocks(data, env)
    if args.active:
        blocks = [b for b in blocks if b.is_active]
    elif args.recent:
        blocks = [b for b in blocks if b.end >= env.now - 3 * 86400]
    _warn_unpriced(env, data)
    counted = [b for b in blocks if not b.is_gap]
    total = (
        totals_of(
            (e for e in data.entries if any(b.start <= e.timestamp < b.end for b in counted)),
            data.cost,
        )
        if (args.active or args.recent)
        else totals_of(data.entries, data.cost)
    )
    payload = {
        "blocks": [r.block_json(b, env.now, limit) for b in blocks],
        "limit": {"tokens": limit.tokens, "source": limit.source, "label": limit.label},
        "totals": r.totals_json(total),
    }
    rows = []
    for b in blocks:
        state = "gap" if b.is_gap else ("ACTIVE" if b.is_active else "")
        pct = limit.percent(b.tokens) if not b.is_gap else None
        rows.append(
            [
                r.local_time(b.start, data.tz),
                r.local_time(b.end, data.tz, False),
                state,
                ", ".join(m.model for m in b.models),
                f"{b.tokens:,}" if not b.is_gap else "",
                fmt.percent(pct) if pct is not None else "",
                "" if b.is_gap else fmt.money(b.totals.cost_usd),
            ]
        )
    text = r.table(["Start", "End", "State", "Models", "Tokens", "% limit", "Cost"], rows, 4)
    text += f"\nLimit: {limit.label}" + (f" ({limit.tokens:,})" if limit.tokens else "")
    last = next((b for b in reversed(blocks) if not b.is_gap), None)
    compact = "no blocks" if last is None else _block_line(last, limit, env, data)
    _emit(env, args, payload, text, compact)
    return ExitStatus.OK


def _session_rows(items: list[SessionSummary], data: Dataset) -> list[list[str]]:
    return [
        [
            s.session_id[:8],
            s.name,
            s.project_path,
            r.local_time(s.last_activity, data.tz),
            ", ".join(s.models),
            f"{s.totals.total_tokens:,}",
            fmt.money(s.totals.cost_usd),
        ]
        for s in items
    ]


def cmd_sessions(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Every session, most recent first."""
    data = load(args, env)
    items = sessions(data.entries, data.cost, data.names, data.projects)
    _warn_unpriced(env, data)
    total = totals_of(data.entries, data.cost)
    payload = {"sessions": [r.session_json(s) for s in items], "totals": r.totals_json(total)}
    text = r.table(
        ["Session", "Name", "Project", "Last activity", "Models", "Tokens", "Cost"],
        _session_rows(items, data),
        5,
    )
    compact = f"{len(items)} sessions · {fmt.compact(total.total_tokens)} tokens · " + fmt.money(
        total.cost_usd
    )
    _emit(env, args, payload, text, compact)
    return ExitStatus.OK


def resolve_session(query: str, known: set[str], names: dict[str, str]) -> str:
    """A session id from a name, a full uuid or a unique uuid prefix."""
    if query in known:
        return query
    named = [sid for sid, name in names.items() if name == query]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise CliError(
            f"{len(named)} sessions are named {query!r}; use an id", ExitStatus.NOT_FOUND
        )
    matches = sorted(sid for sid in known if sid.startswith(query))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CliError(
            f"{query!r} matches {len(matches)} sessions: {', '.join(m[:12] for m in matches[:5])}",
            ExitStatus.NOT_FOUND,
        )
    raise CliError(f"no session {query!r} (name, id or id prefix)", ExitStatus.NOT_FOUND)


def cmd_session(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """One session: totals, per model and per day."""
    data = load(args, env)
    known = {e.session_id for e in data.entries} | set(data.sessions)
    sid = resolve_session(args.session, known, data.names)
    mine = [e for e in data.entries if e.session_id == sid]
    items = sessions(mine, data.cost, data.names, data.projects)
    meta = data.sessions.get(sid)
    per_model = models(mine, data.cost, env.now)
    total = totals_of(mine, data.cost)
    payload: dict[str, Any] = {
        "session": r.session_json(items[0]) if items else {"session_id": sid},
        "tags": [t for t in (meta.tags.split(",") if meta else []) if t],
        "description": meta.description if meta else "",
        "models": [r.model_json(m) for m in per_model],
        "totals": r.totals_json(total),
    }
    head = [f"Session   {sid}"]
    if items:
        s = items[0]
        head += [
            f"Name      {s.name or '—'}",
            f"Project   {s.project_path or '—'}",
            f"Active    {r.local_time(s.first_activity, data.tz)} → "
            f"{r.local_time(s.last_activity, data.tz)}",
        ]
    if meta and meta.tags:
        head.append(f"Tags      {meta.tags}")
    if meta and meta.description:
        head.append(f"About     {meta.description}")
    rows = [[m.model, *r.token_cells(m.totals)] for m in per_model]
    rows.append(["Total", *r.token_cells(total)])
    text = "\n".join(head) + "\n\n" + r.table(["Model", *r.TOKEN_HEADERS], rows)
    compact = f"{(items[0].name if items else '') or sid[:8]} · {fmt.compact(total.total_tokens)}"
    _emit(env, args, payload, text, compact + f" tokens · {fmt.money(total.cost_usd)}")
    return ExitStatus.OK


def cmd_periods(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Per day (`daily`) or per week (`weekly`) in the user's timezone."""
    data = load(args, env)
    period = "week" if args.command == "weekly" else "day"
    key, name = ("week", "weekly") if period == "week" else ("date", "daily")
    items = periods(data.entries, data.cost, data.tz, period)
    _warn_unpriced(env, data)
    total = totals_of(data.entries, data.cost)
    payload = {name: [r.period_json(p, key) for p in items], "totals": r.totals_json(total)}
    rows = [[p.period, ", ".join(p.models), *r.token_cells(p.totals)] for p in items]
    rows.append(["Total", "", *r.token_cells(total)])
    text = r.table(["Week of" if period == "week" else "Date", "Models", *r.TOKEN_HEADERS], rows, 2)
    last = items[-1] if items else None
    compact = (
        "no usage"
        if last is None
        else (
            f"{last.period} · {fmt.compact(last.totals.total_tokens)} tokens · "
            f"{fmt.money(last.totals.cost_usd)}"
        )
    )
    _emit(env, args, payload, text, compact)
    return ExitStatus.OK


def cmd_models(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Per model: totals, share, cost and rates."""
    data = load(args, env)
    items = models(data.entries, data.cost, env.now)
    _warn_unpriced(env, data)
    total = totals_of(data.entries, data.cost)
    payload = {"models": [r.model_json(m) for m in items], "totals": r.totals_json(total)}
    rows = [
        [
            m.model,
            *r.token_cells(m.totals),
            f"{m.share * 100:.1f}%",
            "—" if m.avg_tokens_per_sec is None else f"{m.avg_tokens_per_sec:,.1f}",
            f"{m.last_minute_tokens_per_sec:,.1f}",
        ]
        for m in items
    ]
    text = r.table(["Model", *r.TOKEN_HEADERS, "Share", "Avg tok/s", "Last min tok/s"], rows)
    compact = " · ".join(f"{m.model} {m.share * 100:.0f}%" for m in items) or "no usage"
    _emit(env, args, payload, text, compact)
    return ExitStatus.OK
