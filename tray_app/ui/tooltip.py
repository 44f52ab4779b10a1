"""Tooltip and menu-header text; long tooltips lose whole detail lines, never words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from tray_app.service.snapshot import BlockView, SessionSummary, Snapshot
from tray_app.ui.limit_lines import block_text, window_lines
from tray_app.usage.formatting import (
    compact,
    cost,
    duration,
    per_hour,
    per_minute,
    percent,
    totals_cost,
)
from tray_app.usage.limits import LimitSource
from tray_app.usage.text_safety import clean

LABEL_MAX = 48  # a session's label in the tooltip, header and menu: long names are cut
ERROR_MAX = 160
WINDOWS_MAX = 127  # NOTIFYICONDATA.szTip holds 128 UTF-16 units including the NUL


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text; higher `drop` is dropped first when space runs out."""

    text: str
    drop: int


def _clock(ts: float, tz: tzinfo | None) -> str:
    """Local wall-clock time `14:05`."""
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M")


def _when(ts: float, now: float, tz: tzinfo | None) -> str:
    """`14:05` today, else `12 Feb 14:05` (an old last use must not look like today's)."""
    then, today = datetime.fromtimestamp(ts, tz), datetime.fromtimestamp(now, tz)
    return then.strftime("%H:%M" if then.date() == today.date() else "%d %b %H:%M")


def _block_line(view: BlockView) -> str:
    """`Block: 1.2M tok · 63% of p90 (1.9M)`: always names the limit's source."""
    head = f"Block: {compact(view.block.tokens)} tok"
    if view.percent is None or view.limit_source is LimitSource.NONE:
        return f"{head} · no limit yet"
    source = view.limit_source.short
    limit = f" ({compact(view.limit_tokens)})" if view.limit_tokens else ""
    return f"{head} · {percent(view.percent)} of {source}{limit}"


def safe_label(session: SessionSummary) -> str:
    """The session's name (or project · id) as one short line with no control characters."""
    return clean(session.label, LABEL_MAX)


def _session_line(session: SessionSummary, auto: bool) -> str:
    """`Session: name · 320k tok · $1.23`."""
    mode = " (auto)" if auto else ""
    totals = session.totals
    return (
        f"Session{mode}: {safe_label(session)} · {compact(totals.total_tokens)} tok"
        f" · {totals_cost(totals)}"
    )


def lines(snapshot: Snapshot | None, now: float, tz: tzinfo | None) -> list[Line]:
    """Every line the tray can show, in display order, with drop priorities."""
    if snapshot is None:
        return [Line("Token Monitor: starting…", 0)]
    if snapshot.status == "error":
        return [Line(f"Error: {clean(snapshot.error or 'unknown', ERROR_MAX)}", 0)]
    if snapshot.status == "no_data":
        return [Line("No Claude Code usage found yet", 0)]
    out: list[Line] = []
    view = snapshot.active_block
    if view is None:
        last = snapshot.last_update
        since = f" · last use {_when(last, now, tz)}" if last is not None else ""
        out.append(Line(f"No active block{since}", 0))
    else:
        out.append(Line(block_text(view, snapshot.limits, now) or _block_line(view), 0))
        left = max(0.0, view.resets_at - now)
        out.append(Line(f"Resets {_clock(view.resets_at, tz)} (in {duration(left)})", 1))
        # Rates stay hidden until the block spans enough data (usage/burn.py); dollar
        # figures are the priced part, marked "+ unpriced" when a model has no price.
        done, priced = view.block.totals.cost_complete, view.block.totals.priced_any
        if view.tokens_per_minute is not None:
            usd = per_hour(view.usd_per_hour, done)
            out.append(Line(f"Burn: {per_minute(view.tokens_per_minute)} · {usd}", 3))
        if view.projected_tokens is not None and view.projected_cost_usd is not None:
            projected = compact(view.projected_tokens)
            usd = cost(view.projected_cost_usd, done, priced)
            out.append(Line(f"Projected: {projected} tok · {usd}", 4))
    # The weekly window (official, with its age and reset) even while no block is active.
    out += [Line(text, drop) for text, drop in window_lines(snapshot.limits, now, tz)]
    if snapshot.tracked_session is not None:
        out.append(Line(_session_line(snapshot.tracked_session, snapshot.tracking_auto), 2))
    return out


def header_lines(snapshot: Snapshot | None, now: float, tz: tzinfo | None) -> list[str]:
    """All figures, for the menu's disabled header items (GTK shows no hover tooltip)."""
    return [line.text for line in lines(snapshot, now, tz)]


def _shorten(text: str, max_len: int) -> str:
    """Cut at a word boundary and mark it with `…` (only for a lone over-long line)."""
    if len(text) <= max_len:
        return text
    words = text.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if len(candidate) + 1 > max_len:
            break
        kept = candidate
    return (kept + "…") if kept else "…"


def tooltip_text(
    snapshot: Snapshot | None, now: float, tz: tzinfo | None, max_len: int | None = None
) -> str:
    """Hover text; with `max_len`, the least important whole lines go first."""
    kept = lines(snapshot, now, tz)
    if max_len is None:
        return "\n".join(line.text for line in kept)
    while len(kept) > 1 and len("\n".join(line.text for line in kept)) > max_len:
        worst = max(range(len(kept)), key=lambda i: (kept[i].drop, i))
        del kept[worst]
    return _shorten("\n".join(line.text for line in kept), max_len)
