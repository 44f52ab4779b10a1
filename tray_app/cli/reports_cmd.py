"""Report commands: status, blocks, sessions, session, daily, weekly, models."""

from __future__ import annotations

import argparse
from datetime import datetime, time, timedelta
from math import inf, nextafter
from typing import TYPE_CHECKING, Any

from tray_app.cli import render as r
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.usage import formatting as fmt
from tray_app.usage.reports import (
    sum_totals,
    totals_of,
)
from tray_app.usage.text_safety import clean

# daily/sessions/models import this module for warn_unpriced: the blocks, limits, rollup
# and table modules load where they are used (each is start-up time of every command).
if TYPE_CHECKING:
    from tray_app.usage.blocks import Block
    from tray_app.usage.limits import Limit


def warn_unpriced(env: Environment, data: Dataset, missing: list[str] | None = None) -> list[str]:
    if missing is None:
        from tray_app.usage.rollup import unpriced_in

        missing = unpriced_in(data.by_session())  # the ledger's rollup, summed in SQLite
    for model in missing:
        env.warn(
            f"no price for model {model!r}: costs leave its tokens out (shown as "
            '"+ unpriced"); add it under `prices:` in the config'
        )
    return missing


def _blocks(data: Dataset, env: Environment) -> tuple[list[Block], Limit]:
    """Blocks of all history (a window never cuts one) and the limit they give."""
    from tray_app.usage.limits import compute_limit

    # The limit is the account's: --since/--until only choose what is listed.
    blocks = data.all_blocks(env.now)  # the ledger's block cache when it can
    s = data.settings
    return blocks, compute_limit(blocks, s.limit_mode, env.now, s.limit_tokens)


def _in_window(blocks: list[Block], data: Dataset) -> list[Block]:
    """The blocks that start inside --since/--until (each listed whole)."""
    lo, hi = data.window
    return [b for b in blocks if lo <= b.start < hi] if data.filtered else blocks


def emit(
    env: Environment, args: argparse.Namespace, payload: dict[str, Any], text: str, compact: str
) -> None:
    if args.json:
        print(r.dumps(payload), file=env.stdout)
    elif args.compact:
        print(clean(compact), file=env.stdout)  # one line, whatever a model name holds
    else:
        print(r.safe_lines(text), file=env.stdout)  # names/models/paths never drive the terminal


def _block_line(b: Block, limit: Limit, env: Environment, data: Dataset) -> str:
    pct = limit.percent(b.tokens)
    parts = [f"Block {fmt.compact(b.tokens)}"]
    if pct is not None:
        parts[0] += f" ({fmt.percent(pct)} of {limit.label})"
    rate = b.burn_rate()
    if rate:
        usd = fmt.per_hour(rate.usd_per_hour, rate.cost_complete)
        parts.append(f"{fmt.per_minute(rate.tokens_per_minute)} · {usd}")
    parts.append(f"resets {r.local_time(b.end, data.tz, False)} ({fmt.duration(b.end - env.now)})")
    return " · ".join(parts)


def cmd_status(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Current block, today, last 7 days and all time."""
    # Here, not at the top: blocks/sessions/daily/models import this module for its
    # helpers and need not load the limit sources (~2 ms of their start).
    from tray_app.adapters.earlier_blocks import Earlier
    from tray_app.cli.limits_cmd import limit_phrase, limits_line, official_limits
    from tray_app.usage.blocks import active_block
    from tray_app.usage.burn import MIN_RATE_SPAN
    from tray_app.usage.limits import P90_WINDOW, compute_limit
    from tray_app.usage.official_limits import WINDOW_SECONDS

    data = load(args, env, blocks=True)
    day_start = datetime.combine(datetime.fromtimestamp(env.now, data.tz).date(), time(), data.tz)
    lo, hi = day_start.timestamp(), (day_start + timedelta(days=1)).timestamp()
    week_lo, now_hi = env.now - 7 * 86400, nextafter(env.now, inf)
    # Finished blocks come from the ledger's cache, so only the open block's responses
    # (and the edges of today and the last 7 days) are read.
    cache = None if data.filtered else data.block_cache()
    # Only the blocks of the p90 limit's window, the last 7 days and what an official
    # window's estimate reads (a week before a reset up to a week ago) are decoded, with
    # a day to spare for the edges: the older ones come summed (`earlier`).
    since = env.now - max(P90_WINDOW, 2 * max(WINDOW_SECONDS.values())) - 86400.0
    cached = None if cache is None else cache.blocks(env.now, data.resets, since)
    earlier = Earlier()
    if cache is not None and cached is not None and data.ledger is not None:
        blocks, earlier = cached, cache.earlier
        s = data.settings
        limit = compute_limit(blocks, s.limit_mode, env.now, s.limit_tokens, earlier.peak)
        today, week = cache.window(blocks, lo, hi), cache.window(blocks, week_lo, now_hi)
        # The cached blocks carry per-model totals: no rollup build, no scan of responses
        # (a first scan would otherwise build the rollup just for this warning).
        unpriced = {m.model for b in blocks for m in b.models if m.totals.unpriced_responses}
        missing = warn_unpriced(env, data, sorted(unpriced | earlier.unpriced))
    else:
        blocks, limit = _blocks(data, env)
        # Today and the last 7 days are their own windows, over all history; one pass
        # picks the last 7 days (today is inside them).
        recent = data.history_between(min(lo, week_lo), inf)
        today = totals_of((e for e in recent if lo <= e.timestamp < hi), data.cost)
        week = totals_of((e for e in recent if week_lo <= e.timestamp < now_hi), data.cost)
        missing = warn_unpriced(env, data)
    active = active_block(blocks)
    times = [b.last_activity for b in blocks if not b.is_gap and b.last_activity is not None]
    last_seen = max(times, default=earlier.last_activity)
    official = official_limits(env, data, blocks, limit)  # Claude Code's own, when fresh
    limit = official.block
    if data.filtered:
        total = sum_totals(p.totals for p in data.parts)  # what --since/--until cover
    else:
        total = sum_totals([earlier.totals, *(b.totals for b in blocks)])
    payload = {
        "generated_at": r.iso(env.now),
        "active_block": None if active is None else r.block_json(active, env.now, limit),
        "limit": r.limit_json(limit),
        "limits": r.windows_json(official.windows, env.now),
        "today": r.totals_json(today),
        "rolling_7d": r.totals_json(week),
        "totals": r.totals_json(total),
        "totals_label": data.label,
        "unpriced_models": missing,
        "last_activity": r.iso(last_seen),
    }
    lines = []
    if active is None:
        # Idle says since when, so "idle" after a minute and after a month read differently.
        ago = "" if last_seen is None else f" ({fmt.duration(env.now - last_seen)} ago)"
        seen = "" if last_seen is None else f"; last used {r.local_time(last_seen, data.tz)}"
        lines.append(f"No active block (idle){seen}{ago}.")
        compact = "idle" if last_seen is None else f"idle · last used {ago.strip(' ()')}"
    else:
        compact = _block_line(active, limit, env, data)
        pct = limit.percent(active.tokens)
        lim = f" — {fmt.percent(pct)} of {limit_phrase(limit, env.now)}" if pct is not None else ""
        # Claude Code's own reset time wins while its figure is fresh.
        resets, from_claude = limit.resets_at or active.end, bool(limit.resets_at)
        lines += [
            f"Active block  {r.local_time(active.start, data.tz, False)}–"
            f"{r.local_time(active.end, data.tz, False)}  resets in "
            f"{fmt.duration(resets - env.now)}"
            f"{' (official)' if from_claude or active.official_reset else ''}",
            f"  Tokens      {active.tokens:,}{lim}",
            f"  Cost        {fmt.totals_cost(active.totals)}",
        ]
        rate = active.burn_rate()
        proj = active.projection(env.now)
        if rate is None:
            # "—", not a wild extrapolation from a few responses seconds apart.
            lines.append(f"  Burn rate   — (under {fmt.duration(MIN_RATE_SPAN)} of data)")
        else:
            usd = fmt.per_hour(rate.usd_per_hour, rate.cost_complete)
            lines.append(f"  Burn rate   {fmt.per_minute(rate.tokens_per_minute)} · {usd}")
        if proj is not None:
            usd = fmt.cost(proj.cost_usd, proj.cost_complete, active.totals.priced_any)
            lines.append(f"  Projection  {proj.tokens:,} tokens · {usd} by the reset")
        models_line = "  Models      " + ", ".join(clean(m.model) for m in active.models)
        if not args.json:  # (--json prints no text: the table module stays unloaded)
            from tray_app.cli.table import short_model, terminal_width

            if len(models_line) > terminal_width(env.env, env.stdout):  # short names fit 80
                models_line = "  Models      " + ", ".join(
                    short_model(clean(m.model)) for m in active.models
                )
        lines.append(models_line)
    lines.append(f"Limits        {limits_line(official.windows, env.now)}")
    for label, t in (("Today", today), ("Last 7 days", week), (data.label, total)):
        lines.append(
            f"{label:<13} {t.total_tokens:,} tokens · {fmt.totals_cost(t)}"
            f" · {t.responses:,} responses"
        )
    compact += f" · today {fmt.compact(today.total_tokens)} {fmt.totals_cost(today)}"
    emit(env, args, payload, "\n".join(lines), compact)
    return ExitStatus.OK
