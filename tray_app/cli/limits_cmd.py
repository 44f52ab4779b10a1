"""`token-monitor limits`, and the official limits every report shares (status, watch)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, tzinfo
from math import inf

from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.spool_files import data_dir
from tray_app.cli import render as r
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.service.official_view import limits_for
from tray_app.usage import formatting as fmt
from tray_app.usage.blocks import Block, active_block, build_blocks
from tray_app.usage.limits import Limit, compute_limit
from tray_app.usage.official_limits import (
    LimitSet,
    resolve_limits,
    source_text,
    window_label,
    with_messages,
)


def captures_for(env: Environment) -> CaptureStore:
    """The status-line captures in our data dir (read, never rotated by a command)."""
    store = CaptureStore(data_dir(env.env))
    store.refresh()
    return store


def official_limits(
    env: Environment, data: Dataset, blocks: Sequence[Block], fallback: Limit
) -> LimitSet:
    """The block's limit (official while fresh) and every window, for a report at `env.now`."""
    store = captures_for(env)
    active = active_block(blocks)
    tokens = None if active is None else active.tokens
    max_age = data.settings.official_max_age
    # Limit messages in the transcripts ("Weekly limit reached · resets …") count too.
    notices = [*data.resets, *data.engine.limits]
    captures = with_messages(store.captures, notices, env.now, max_age)
    if not captures:
        return resolve_limits({}, fallback, tokens, env.now, max_age)
    # Responses of the last block are counted exactly; finished blocks as wholes.
    start = blocks[-1].start if blocks else env.now
    tail = data.between(start, inf)  # a block's worth, read through the time index
    fixed = [b for b in blocks if b.start < start]
    # The live view's builder: the same counter, the same official-or-fallback choice.
    return limits_for(captures, fallback, active, fixed, {e.key: e for e in tail}, env.now, max_age)


def limit_phrase(limit: Limit, now: float) -> str:
    """`the 5-hour limit (official · 2 min ago)`, or `p90 of recent blocks (1,900,000)`."""
    if limit.source == "official":
        return f"the 5-hour limit ({source_text(limit, now)})"
    return limit.label + (f" ({limit.tokens:,})" if limit.tokens else "")


def limits_line(limits: Sequence[Limit], now: float) -> str:
    """`5-hour 40% (official · 2 min ago) · weekly 85% (official · 2 min ago)`."""
    parts = []
    for w in limits:
        if w.percent_now is None and w.source == "none":
            continue
        parts.append(
            f"{window_label(w.window)} {fmt.percent(w.percent_now)} ({source_text(w, now)})"
        )
    return " · ".join(parts) or "no limit known yet"


def _reset(ts: float | None, now: float, tz: tzinfo) -> str:
    if ts is None:
        return "—"
    return f"{datetime.fromtimestamp(ts, tz).strftime('%a %H:%M')} (in {fmt.duration(ts - now)})"


def cmd_limits(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Every limit window known: its %, source, age and reset."""
    data = load(args, env)
    # All history from the ledger's block cache; a --since/--until window counts its own.
    if data.filtered:
        blocks = build_blocks(data.entries, env.now, data.cost, data.resets)
    else:
        blocks = data.all_blocks(env.now)
    s = data.settings
    fallback = compute_limit(blocks, s.limit_mode, env.now, s.limit_tokens)
    result = official_limits(env, data, blocks, fallback)
    payload = {"generated_at": r.iso(env.now), "limits": r.windows_json(result.windows, env.now)}
    rows = [
        [
            window_label(w.window),
            fmt.percent(w.percent_now),
            source_text(w, env.now) if w.source != "none" else "not known",
            _reset(w.resets_at, env.now, data.tz),
        ]
        for w in result.windows
    ]
    text = r.table(["Window", "Used", "Source", "Resets"], rows, 1)
    if not any(w.source == "official" for w in result.windows):
        text += (
            "\nNo fresh figure from Claude Code: run `token-monitor statusline install` "
            "(Claude Code ≥ 2.1.80, Pro/Max)."
        )
    if args.json:
        print(r.dumps(payload), file=env.stdout)
    elif args.compact:
        print(limits_line(result.windows, env.now), file=env.stdout)
    else:
        print(text, file=env.stdout)
    return ExitStatus.OK
