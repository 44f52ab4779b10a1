"""The one JSON renderer: totals, blocks, sessions, models and limits for every output.

CLI reports, `watch`, the dashboard and the status-line state all build their objects
here, so a field means the same and is rounded the same everywhere. Times are ISO-8601
strings by default; the dashboard and the status-line state pass `times=epoch` (their
readers do arithmetic on them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (annotations only: `daily --json` need not build the block classes)
    from tray_app.usage.blocks import Block
    from tray_app.usage.limits import Limit, LimitSource
    from tray_app.usage.model import Totals
    from tray_app.usage.reports import ModelSummary, SessionSummary

TimeFn = Callable[[float | None], Any]


def round_usd(value: float | None) -> float | None:
    """Cost rounded for JSON (sub-cent precision kept)."""
    return None if value is None else round(value, 6)


def round_pct(value: float | None) -> float | None:
    """A percentage rounded for JSON."""
    return None if value is None else round(value, 2)


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO-8601 UTC with a Z suffix."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch(ts: float | None) -> float | None:
    """Epoch seconds as they are (the dashboard's and the status line's time format)."""
    return ts


def totals_json(t: Totals) -> dict[str, Any]:
    """The token fields every report uses (`cost_usd` is the priced part; see docs/figures.md)."""
    return {
        "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens,
        "cache_creation_tokens": t.cache_creation_tokens,
        "cache_read_tokens": t.cache_read_tokens,
        "total_tokens": t.total_tokens,
        "cost_usd": round_usd(t.cost_usd),
        "cost_complete": t.cost_complete,
        "unpriced_tokens": t.unpriced_tokens,
        "responses": t.responses,
    }


def per_model_json(per_model: Iterable[tuple[str, Totals]]) -> list[dict[str, Any]]:
    """One object per model: its name and token fields (blocks, --breakdown, the dashboard)."""
    return [{"model": m, **totals_json(t)} for m, t in per_model]


def block_limit_json(
    limit_tokens: int | None, source: LimitSource, percent: float | None
) -> dict[str, Any]:
    """The active block's limit fields: its token limit, where it came from, % used."""
    return {"limit_tokens": limit_tokens, "limit_source": source, "percent": round_pct(percent)}


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
        "per_model": per_model_json((m.model, m.totals) for m in b.models),
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
        out |= block_limit_json(limit.tokens, limit.source, limit.percent(b.tokens))
    return out


def session_json(
    s: SessionSummary, project: str | None = None, times: TimeFn = iso, label: bool = False
) -> dict[str, Any]:
    """A session object (`project`: its alias name, `label`: the name the tray shows)."""
    out: dict[str, Any] = {"session_id": s.session_id, "name": s.name}
    if label:
        out["label"] = s.label
    out["project_path"] = s.project_path
    if project is not None:
        out["project"] = project
    return out | {
        "first_activity": times(s.first_activity),
        "last_activity": times(s.last_activity),
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


def limit_json(limit: Limit) -> dict[str, Any]:
    """The block limit a report used: `{tokens, source, label}`."""
    return {"tokens": limit.tokens, "source": limit.source, "label": limit.label}


def window_json(w: Limit, now: float, times: TimeFn = iso) -> dict[str, Any]:
    """One limit window: its % now, where it comes from, how old, when it resets."""
    age = None if w.captured_at is None else round(now - w.captured_at, 1)
    return {
        "percent": round_pct(w.percent_now),
        "source": w.source,
        "estimated": w.estimated,
        "captured_at": times(w.captured_at),
        "age_seconds": age,
        "resets_at": times(w.resets_at),
    }


def windows_json(limits: Sequence[Limit], now: float) -> dict[str, Any]:
    """`limits` in the CLI's JSON (status, limits, watch): one object per window, by name."""
    return {w.window: window_json(w, now) for w in limits}


def window_list_json(limits: Sequence[Limit], now: float) -> list[dict[str, Any]]:
    """The windows as a list with epoch times, label and token limit (dashboard, status line)."""
    return [
        {"window": w.window, **window_json(w, now, epoch), "label": w.label, "tokens": w.tokens}
        for w in limits
    ]
