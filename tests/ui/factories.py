"""Snapshots for UI tests, built from a few numbers (also used by the display driver)."""

from __future__ import annotations

from typing import Any

from tray_app.service.snapshot import BlockView, LimitSource, Rates, SessionSummary, Snapshot
from tray_app.usage.blocks import Block
from tray_app.usage.model import Totals

NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC
START = NOW - 2 * 3600  # the block began two hours ago
LIMIT = 2_000_000


def _totals(tokens: int, cost: float | None, responses: int) -> Totals:
    """Totals priced at `cost`; None: no response has a price (the cost is the priced part)."""
    if cost is None:
        return Totals(input_tokens=tokens, responses=responses, unpriced_responses=responses,
                      unpriced_tokens=tokens)  # fmt: skip
    return Totals(input_tokens=tokens, cost_usd=cost, responses=responses)


def session(
    session_id: str = "0123456789abcdef",
    name: str = "",
    project: str = "/home/u/code/webapp",
    tokens: int = 320_000,
    cost: float | None = 1.23,
) -> SessionSummary:
    """A session with `tokens` input tokens."""
    return SessionSummary(
        session_id=session_id,
        name=name,
        project_path=project,
        first_activity=START,
        last_activity=NOW - 60,
        totals=_totals(tokens, cost, 10),
        models=("claude-sonnet-4-5",),
    )


def block_view(
    pct: float | None = 63.0,
    source: LimitSource = LimitSource.P90,
    limit: int | None = LIMIT,
    cost: float | None = 8.4,
) -> BlockView:
    """An active block at `pct` % of `limit` (tokens follow from the two)."""
    tokens = round((pct or 30.0) / 100 * (limit or LIMIT))
    block = Block(
        start=START,
        end=START + 5 * 3600,
        first_activity=START + 60,
        last_activity=NOW - 60,
        totals=_totals(tokens, cost, 40),
        models=(),
        is_active=True,
        is_gap=False,
    )
    return BlockView(
        block=block,
        limit_tokens=limit,
        limit_source=source,
        percent=pct,
        tokens_per_minute=12_345.0,
        usd_per_hour=4.2,
        projected_tokens=2_100_000,
        projected_cost_usd=12.34,
        resets_at=START + 5 * 3600,
        seconds_to_reset=3 * 3600,
    )


def snapshot(pct: float | None = 63.0, **kw: Any) -> Snapshot:
    """An active snapshot at `pct` % tracking one session automatically; override any field."""
    tracked = kw.pop("tracked_session", session(name="refactor parser"))
    fields: dict[str, Any] = {
        "published_at": NOW,
        "status": "active",
        "totals": Totals(input_tokens=5_000_000, cost_usd=40.0),
        "active_block": block_view(pct),
        "tracked_session": tracked,
        "tracking_auto": True,
        "recent_sessions": (
            *([tracked] if tracked is not None else []),
            session("fedcba9876543210", project="/srv/api", tokens=63_400),
        ),
        "rates": Rates(),
        "last_update": NOW - 60,
    }
    fields.update(kw)
    return Snapshot(**fields)


def idle(**kw: Any) -> Snapshot:
    """No active block."""
    return snapshot(status="idle", active_block=None, **kw)
