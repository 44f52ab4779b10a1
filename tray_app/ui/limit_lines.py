"""Tray text and icon figure for the limit windows (official 5-hour and weekly)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from tray_app.service.snapshot import BlockView, Snapshot
from tray_app.usage.formatting import compact, duration, percent
from tray_app.usage.limits import Limit, LimitSource
from tray_app.usage.official_limits import FIVE_HOUR, SEVEN_DAY, closer, source_text, window_label


def block_text(view: BlockView, limits: Sequence[Limit], now: float) -> str | None:
    """`Block: 1.2M tok · 40% of 5-hour (official · 2 min ago)`; None unless official."""
    five = next((w for w in limits if w.window == FIVE_HOUR), None)
    if view.limit_source is not LimitSource.OFFICIAL or five is None or view.percent is None:
        return None
    head = f"Block: {compact(view.block.tokens)} tok"
    return f"{head} · {percent(view.percent)} of 5-hour ({source_text(five, now)})"


def window_lines(limits: Sequence[Limit], now: float, tz: tzinfo | None) -> list[tuple[str, int]]:
    """`Weekly: 85% (official · 2 min ago) · resets Tue 19:00`, with a drop priority each."""
    out = []
    for w in limits:
        if w.window == FIVE_HOUR or w.source is not LimitSource.OFFICIAL or w.percent_now is None:
            continue
        name = window_label(w.window).capitalize()
        text = f"{name}: {percent(w.percent_now)} ({source_text(w, now)})"
        if w.resets_at is not None:
            clock = datetime.fromtimestamp(w.resets_at, tz).strftime("%a %H:%M")
            text += f" · resets {clock} (in {duration(w.resets_at - now)})"
        out.append((text, 1 if w.window == SEVEN_DAY else 5))
    return out


def icon_figure(snapshot: Snapshot, block_percent: float | None) -> tuple[float | None, str]:
    """The % the icon shows and its window: the 5-hour block, or the weekly when it is fuller."""
    week = next((w for w in snapshot.limits if w.window == SEVEN_DAY), None)
    if week is None or week.source is not LimitSource.OFFICIAL or week.percent_now is None:
        return block_percent, FIVE_HOUR
    view = snapshot.active_block
    source = LimitSource.NONE if view is None else view.limit_source
    five = Limit(None, source, FIVE_HOUR, block_percent) if block_percent is not None else None
    best = closer([five, week] if five is not None else [week])
    return (week.percent_now, SEVEN_DAY) if best is week else (block_percent, FIVE_HOUR)
