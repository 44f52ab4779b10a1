"""`token-monitor watch`: the live terminal view (dashboard, one line, or NDJSON)."""

from __future__ import annotations

import argparse
import queue
import signal
import threading
from types import FrameType
from typing import Any

from tray_app.adapters.config import load_settings
from tray_app.cli import render as r
from tray_app.cli.data_dirs import data_dir_problems
from tray_app.cli.dataset import open_ledger
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.limits_cmd import limits_line
from tray_app.cli.time_args import local_tz
from tray_app.service.runtime import LiveRuntime
from tray_app.service.snapshot import SessionSummary, Snapshot
from tray_app.usage import formatting as fmt
from tray_app.usage.burn import share_per_minute
from tray_app.usage.json_fields import block_limit_json, windows_json
from tray_app.usage.official_limits import source_text
from tray_app.usage.text_safety import NAME_MAX, clean

BAR = 30


def _session(s: SessionSummary | None) -> dict[str, Any] | None:
    return None if s is None else r.session_json(s)


def snapshot_json(snap: Snapshot) -> dict[str, Any]:
    """The documented NDJSON object for one snapshot."""
    block = None
    if snap.active_block is not None:
        b = snap.active_block
        block = r.block_json(b.block, snap.published_at)
        block |= block_limit_json(b.limit_tokens, b.limit_source, b.percent)
        block.update(resets_at=r.iso(b.resets_at), seconds_to_reset=round(b.seconds_to_reset, 1))
    rates = snap.rates
    return {
        "published_at": r.iso(snap.published_at),
        "status": snap.status,
        "totals": r.totals_json(snap.totals),
        "active_block": block,
        "tracked_session": _session(snap.tracked_session),
        "tracking_auto": snap.tracking_auto,
        "rates": {
            "tokens_per_sec_last_minute": round(rates.tokens_per_sec_last_minute, 3),
            "cost_per_sec_last_minute": r.round_usd(rates.usd_per_sec_last_minute),
            "session_tokens_per_sec": None
            if rates.session_tokens_per_sec is None
            else round(rates.session_tokens_per_sec, 3),
            "session_cost_per_sec": r.round_usd(rates.session_usd_per_sec),
        },
        "last_update": r.iso(snap.last_update),
        "error": snap.error,
        "limits": windows_json(snap.limits, snap.published_at),
    }


def one_line(snap: Snapshot) -> str:
    """The compact view."""
    b = snap.active_block
    if snap.status == "error":
        return f"error: {clean(snap.error or '')}"
    if b is None:
        return "no data" if snap.status == "no_data" else "idle — no active block"
    pct = "" if b.percent is None else f" {fmt.percent(b.percent)}"
    rate = "" if b.tokens_per_minute is None else f" · {fmt.per_minute(b.tokens_per_minute)}"
    return (f"{fmt.compact(b.block.tokens)}{pct} · {fmt.totals_cost(b.block.totals)}{rate}"
            f" · resets in {fmt.duration(b.seconds_to_reset)}")  # fmt: skip


def dashboard(snap: Snapshot, env: Environment, tz: Any) -> str:
    """The full view."""
    lines = [f"Token Monitor — {r.local_time(snap.published_at, tz)}", ""]
    b = snap.active_block
    if b is None:
        lines.append(one_line(snap))
    else:
        fill = 0 if b.percent is None else min(BAR, round(b.percent / 100 * BAR))
        source = b.limit_source.label
        if snap.limits and snap.limits[0].source == b.limit_source:
            source = source_text(snap.limits[0], snap.published_at)  # "official · 2 min ago"
        done, priced = b.block.totals.cost_complete, b.block.totals.priced_any
        pct = "no limit yet" if b.percent is None else f"{fmt.percent(b.percent)} of {source}"
        lines += [
            f"Block   [{'█' * fill}{'·' * (BAR - fill)}] {pct}",
            f"        {b.block.tokens:,} tokens · {fmt.totals_cost(b.block.totals)}",
            f"Burn    {fmt.per_minute(b.tokens_per_minute)} · {fmt.per_hour(b.usd_per_hour, done)}",
            f"Reset   {r.local_time(b.resets_at, tz, False)} "
            f"(in {fmt.duration(b.seconds_to_reset)})",
        ]
        if snap.limits:  # both windows, with their source and age
            lines.append(f"Limits  {limits_line(snap.limits, snap.published_at)}")
        if b.projected_tokens is not None and b.projected_cost_usd is not None:
            proj = fmt.cost(b.projected_cost_usd, done, priced)
            lines.append(f"Proj.   {b.projected_tokens:,} tokens · {proj}")
        first, last = b.block.first_activity, b.block.last_activity
        for m in b.block.models:
            # Each model's share of the block's burn rate (same span, its own tokens).
            per_min = share_per_minute(m.totals.total_tokens, first, last, b.block.totals.responses)
            rate = fmt.per_minute(per_min)
            cost = fmt.totals_cost(m.totals)
            model = clean(m.model)  # from the transcripts
            lines.append(f"  {model:<30} {m.totals.total_tokens:>14,}  {cost:>9}  {rate}")
    s = snap.tracked_session
    if s is not None:
        auto = " (latest active)" if snap.tracking_auto else ""
        cost = fmt.totals_cost(s.totals)
        lines += [
            "",
            f"Session {clean(s.label, NAME_MAX)}{auto}",
            f"        {s.totals.total_tokens:,} tokens · {cost}",
        ]
    rates = snap.rates
    usd = rates.usd_per_sec_last_minute
    per_sec = f" · ${usd:.4f}/s"
    lines.append(f"Now     {rates.tokens_per_sec_last_minute:,.1f} tokens/s{per_sec} (last minute)")
    if rates.session_tokens_per_sec is not None:
        lines.append(f"        {rates.session_tokens_per_sec:,.1f} tokens/s (session average)")
    if snap.last_update:
        lines.append(f"Last    response at {r.local_time(snap.last_update, tz)}")
    if snap.recent_sessions:
        lines += ["", "Recent sessions"]
        for rs in snap.recent_sessions[:5]:
            when = r.local_time(rs.last_activity, tz)
            label = clean(rs.label, 40)
            lines.append(f"  {when}  {label:<40} {rs.totals.total_tokens:>14,}")
    return "\n".join(lines)


def frame(snap: Snapshot, args: argparse.Namespace, tty: bool, env: Environment, tz: Any) -> str:
    """What one snapshot writes: NDJSON, the self-updating line, the dashboard or a line."""
    if args.json:
        return r.dumps(snapshot_json(snap), indent=False) + "\n"
    if args.compact:
        return ("\r\x1b[K" if tty else "") + one_line(snap) + ("" if tty else "\n")
    if tty:
        return "\x1b[H\x1b[2J" + dashboard(snap, env, tz) + "\n"
    return one_line(snap) + "\n"


SIGNAL_POLL_SECONDS = 0.5  # how soon Ctrl+C / SIGTERM is noticed


def cmd_watch(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Follow usage live until Ctrl+C."""
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    tz = local_tz(args.timezone or settings.timezone)
    named = data_dir_problems(args.data_dir or settings.data_dirs, env.env)
    if named:  # a typo'd or unreadable dir would show "no data" forever
        raise CliError("; ".join(named), ExitStatus.NO_DATA)
    if not args.no_ledger:  # a refused, locked or full ledger: exit 5 like every report
        open_ledger(env, settings).close()
    runtime = LiveRuntime(settings, env.env, args.data_dir or (), not args.no_ledger, tz)
    snapshots: queue.SimpleQueue[Snapshot | None] = queue.SimpleQueue()
    runtime.service.subscribe(snapshots.put)
    stop = threading.Event()

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        stop.set()
        snapshots.put(None)

    # Ctrl+C ends the view the same way as SIGTERM: no KeyboardInterrupt landing somewhere
    # in the shutdown (it could skip joining a thread or flushing the ledger).
    previous = signal.signal(signal.SIGTERM, on_term)
    previous_int = signal.signal(signal.SIGINT, on_term)
    tty = env.stdout.isatty()
    out = env.stdout
    runtime.start()
    try:
        while not stop.is_set():
            try:
                # A timeout, not a bare get(): the kernel may hand SIGINT/SIGTERM to another
                # thread, and Python runs the handler only when this one wakes up.
                snap = snapshots.get(timeout=SIGNAL_POLL_SECONDS)
            except queue.Empty:
                continue
            if snap is None:
                break
            out.write(frame(snap, args, tty, env, tz))
            out.flush()  # each snapshot at once: scripts read the stream line by line
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        if tty and args.compact:
            out.write("\n")
    return ExitStatus.OK
