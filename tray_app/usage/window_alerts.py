"""Alerts for the weekly windows: same thresholds, once per window and threshold."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from tray_app.usage.alerts import THRESHOLD, Alert, AlertMemory, AlertRules
from tray_app.usage.formatting import duration
from tray_app.usage.limits import Limit
from tray_app.usage.official_limits import FIVE_HOUR, source_text, window_label


def window_id(resets_at: float) -> float:
    """One id per weekly window: its reset rounded to the hour (captures jitter by seconds)."""
    return round(resets_at / 3600.0) * 3600.0


def _alert(limit: Limit, kind: str, wid: float, threshold: int, now: float, tz: tzinfo) -> Alert:
    assert limit.resets_at is not None
    name = window_label(limit.window)
    when = datetime.fromtimestamp(limit.resets_at, tz).strftime("%a %H:%M")
    return Alert(
        kind,
        wid,
        f"Claude usage at {threshold}% of your {name} limit",
        f"{source_text(limit, now)} · resets {when} (in {duration(limit.resets_at - now)})",
    )


def weekly_alerts(
    memory: AlertMemory,
    limits: Sequence[Limit],
    now: float,
    rules: AlertRules,
    tz: tzinfo = UTC,
) -> list[Alert]:
    """Record and return the alerts for official weekly windows (the 5-hour one has its own)."""
    out: list[Alert] = []
    for limit in limits:
        pct, resets = limit.percent_now, limit.resets_at
        if limit.source != "official" or limit.window == FIVE_HOUR:
            continue
        if pct is None or resets is None or math.isnan(pct) or now >= resets:
            continue
        crossed = sorted(t for t in set(rules.thresholds) if pct >= t)
        if not crossed:
            continue
        wid = window_id(resets)
        prefix = f"{limit.window}:{THRESHOLD}"
        top = f"{prefix}{crossed[-1]}"
        if not memory.fired(wid, top):
            # Only the highest threshold is news; lower ones are recorded silently.
            out.append(_alert(limit, top, wid, crossed[-1], now, tz))
        for t in crossed:
            if not memory.fired(wid, f"{prefix}{t}"):
                memory.record(wid, f"{prefix}{t}", now)
    return out
