"""Build an immutable Snapshot from the live state (no I/O; aggregator thread)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tray_app.service.live_state import LiveState
from tray_app.service.official_view import limits_for
from tray_app.service.snapshot import BlockView, Rates, Snapshot, Status
from tray_app.usage.blocks import active_block
from tray_app.usage.burn import span_of
from tray_app.usage.limits import LimitMode, compute_limit
from tray_app.usage.official_limits import DEFAULT_MAX_AGE, OfficialWindow
from tray_app.usage.reports import SessionSummary, by_tokens, session_summary

RECENT_SESSIONS = 8


@dataclass(frozen=True, slots=True)
class ViewSettings:
    """What the user chose that shapes a snapshot."""

    limit_mode: LimitMode = "max"
    limit_tokens: int | None = None
    tracked_session: str | None = None  # None: follow the latest active session
    official_max_age: float = DEFAULT_MAX_AGE  # seconds a status-line capture stays fresh


def _session_view(
    state: LiveState, sid: str, names: Mapping[str, str], projects: Mapping[str, str]
) -> SessionSummary:
    s = state.sessions[sid]
    models = by_tokens(s.tokens)  # most tokens first, as every report lists them
    return session_summary(sid, s.acc.build(), models, s.first, s.last, names, projects)


def build_snapshot(
    state: LiveState,
    now: float,
    view: ViewSettings,
    names: Mapping[str, str],
    projects: Mapping[str, str],
    error: str | None = None,
    captures: Mapping[str, OfficialWindow] | None = None,
) -> Snapshot:
    """Everything the UI shows, computed from the live state at `now`."""
    blocks = state.blocks
    limit = compute_limit(blocks, view.limit_mode, now, view.limit_tokens)
    block = active_block(blocks)
    # Claude Code's own figures win while fresh; the fallback says which it is otherwise.
    official = limits_for(
        captures or {}, limit, block, state.fixed, state.tail, now, view.official_max_age
    )
    limit = official.block
    block_view = None
    if block is not None:
        rate = block.burn_rate()
        projection = block.projection(now)
        percent = limit.percent(block.tokens)
        block_view = BlockView(
            block,
            limit.tokens,
            limit.source,
            percent,
            rate.tokens_per_minute if rate else None,
            rate.usd_per_hour if rate else None,
            projection.tokens if projection else None,
            projection.cost_usd if projection else None,
            limit.resets_at or block.end,
            max(0.0, (limit.resets_at or block.end) - now),
        )
    live = [sid for sid, s in state.sessions.items() if s.acc.responses > 0]
    live.sort(key=lambda sid: state.sessions[sid].last, reverse=True)
    recent = tuple(_session_view(state, sid, names, projects) for sid in live[:RECENT_SESSIONS])
    tracked_id = view.tracked_session if view.tracked_session in state.sessions else None
    tracking_auto = view.tracked_session is None
    if tracking_auto and live:
        tracked_id = live[0]
    tracked = _session_view(state, tracked_id, names, projects) if tracked_id else None
    last_minute = state.recent(now)
    tokens = sum(e.total_tokens for e in last_minute)
    # The priced part, like every cost figure (the totals say whether it is complete).
    usd = sum(c for c in (state.cost_of(e) for e in last_minute) if c is not None)
    rates = Rates(tokens / 60.0, usd / 60.0)
    if tracked is not None:
        span = span_of(tracked.first_activity, tracked.last_activity, tracked.totals.responses)
        if span is not None:
            rates = Rates(
                rates.tokens_per_sec_last_minute,
                rates.usd_per_sec_last_minute,
                tracked.totals.total_tokens / span,
                tracked.totals.cost_usd / span,
            )
    status: Status
    if error:
        status = "error"
    elif state.total.responses == 0:
        status = "no_data"
    else:
        status = "active" if block_view else "idle"
    return Snapshot(
        now, status, state.total.build(), block_view, tracked, tracking_auto, recent, rates,
        state.last_update, error, official.windows,
    )  # fmt: skip
