"""The token and cost fields every JSON output carries (CLI reports, dashboard, watch)."""

from __future__ import annotations

from typing import Any

from tray_app.usage.model import Totals


def round_usd(value: float | None) -> float | None:
    """Cost rounded for JSON (sub-cent precision kept)."""
    return None if value is None else round(value, 6)


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
