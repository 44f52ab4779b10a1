"""Stable JSON shapes and plain-text tables shared by every command."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from tray_app.usage.blocks import Block
from tray_app.usage.json_fields import round_usd as round_usd
from tray_app.usage.json_fields import totals_json as totals_json
from tray_app.usage.limits import Limit
from tray_app.usage.reports import ModelSummary, SessionSummary
from tray_app.usage.text_safety import clean, json_safe


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO-8601 UTC with a Z suffix."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(ts: float, tz: tzinfo, with_date: bool = True) -> str:
    """A local clock time for tables."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def block_json(b: Block, now: float, limit: Limit | None = None) -> dict[str, Any]:
    """A block object: times, flags, models, token fields, burn rate and projection."""
    rate = b.burn_rate()
    projection = b.projection(now)
    out: dict[str, Any] = {
        "start": iso(b.start),
        "end": iso(b.end),
        "first_activity": iso(b.first_activity),
        "last_activity": iso(b.last_activity),
        "is_active": b.is_active,
        "is_gap": b.is_gap,
        "official_reset": b.official_reset,
        "models": [m.model for m in b.models],
        "per_model": [{"model": m.model, **totals_json(m.totals)} for m in b.models],
        **totals_json(b.totals),
        "burn_rate": None
        if rate is None
        else {
            "tokens_per_minute": round(rate.tokens_per_minute, 3),
            "cost_per_hour": round_usd(rate.usd_per_hour),
        },
        "projection": None
        if projection is None
        else {
            "total_tokens": projection.tokens,
            "cost_usd": round_usd(projection.cost_usd),
            "remaining_minutes": round(projection.minutes_left, 1),
        },
    }
    if limit is not None:
        out["limit_tokens"] = limit.tokens
        out["limit_source"] = limit.source
        pct = limit.percent(b.tokens)
        out["percent"] = None if pct is None else round(pct, 2)
    return out


def session_json(s: SessionSummary) -> dict[str, Any]:
    """A session object."""
    return {
        "session_id": s.session_id,
        "name": s.name,
        "project_path": s.project_path,
        "first_activity": iso(s.first_activity),
        "last_activity": iso(s.last_activity),
        "models": list(s.models),
        **totals_json(s.totals),
    }


def model_json(m: ModelSummary) -> dict[str, Any]:
    """A model object with its rates."""
    return {
        "model": m.model,
        **totals_json(m.totals),
        "share": round(m.share, 6),
        "avg_tokens_per_sec": None
        if m.avg_tokens_per_sec is None
        else round(m.avg_tokens_per_sec, 3),
        "avg_cost_per_sec": round_usd(m.avg_usd_per_sec),
        "last_minute_tokens_per_sec": round(m.last_minute_tokens_per_sec, 3),
        "last_minute_cost_per_sec": round_usd(m.last_minute_usd_per_sec),
    }


def dumps(obj: Any, indent: bool = True) -> str:
    """Stable JSON (C1 controls and bidi escaped too: terminals may obey them).

    A file name that is not UTF-8 reaches us as a str with lone surrogates, which orjson
    refuses; such output falls back to ASCII-only JSON, where they round-trip as
    `\\udcXX` escapes (`os.fsencode(json.loads(...))` gives the original bytes back).
    """
    try:
        text = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else 0).decode()
    except orjson.JSONEncodeError:
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(obj, indent=2 if indent else None, separators=separators, default=str)
    return json_safe(text)


def safe_lines(text: str) -> str:
    """Text for a terminal: every line cleaned of control sequences, line breaks kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Aligned columns; the first `left` columns left-aligned, numbers right-aligned."""
    rows = [[clean(cell) for cell in row] for row in rows]  # names, paths, models: untrusted
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i < left else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
