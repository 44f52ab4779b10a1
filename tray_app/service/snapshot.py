"""Immutable snapshots: the only thing that crosses from the aggregator to the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tray_app.usage.blocks import Block
from tray_app.usage.limits import Limit, LimitSource
from tray_app.usage.model import Totals
from tray_app.usage.reports import SessionSummary

Status = Literal["no_data", "idle", "active", "error"]
__all__ = ["BlockView", "LimitSource", "Rates", "SessionSummary", "Snapshot", "Status"]


@dataclass(frozen=True, slots=True)
class BlockView:
    """The active block with everything the tray shows about it."""

    block: Block
    limit_tokens: int | None  # None when no limit is known yet
    limit_source: LimitSource
    percent: float | None  # block tokens / limit × 100 (may exceed 100)
    # Rates and projection are None until the block spans enough data (usage/burn.py);
    # dollar figures are the priced part (block.totals.cost_complete says if that is all).
    tokens_per_minute: float | None
    usd_per_hour: float | None
    projected_tokens: int | None
    projected_cost_usd: float | None
    resets_at: float  # epoch seconds; block end (official when known)
    seconds_to_reset: float

    def __post_init__(self) -> None:
        # One source type: a plain string becomes the enum, an unknown one raises here.
        object.__setattr__(self, "limit_source", LimitSource(self.limit_source))


@dataclass(frozen=True, slots=True)
class Rates:
    """Token and dollar rates: over the last minute and the tracked session's average."""

    tokens_per_sec_last_minute: float = 0.0
    usd_per_sec_last_minute: float = 0.0  # priced part
    session_tokens_per_sec: float | None = None
    session_usd_per_sec: float | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the UI may show, frozen at `published_at`."""

    published_at: float
    status: Status
    totals: Totals
    active_block: BlockView | None
    tracked_session: SessionSummary | None
    tracking_auto: bool  # True: following the latest active session
    recent_sessions: tuple[SessionSummary, ...]
    rates: Rates = field(default_factory=Rates)
    last_update: float | None = None  # time of the newest counted response (last use)
    error: str | None = None  # set with status "error" (e.g. data dir unreadable)
    # One limit per window: five_hour first, seven_day second, then any other Claude Code
    # reported (source "official" when a capture is fresh; see usage/official_limits.py).
    limits: tuple[Limit, ...] = ()
