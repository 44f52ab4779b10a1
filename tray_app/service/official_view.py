"""Official limits for a snapshot: counted tokens from the live state, and the status-line state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tray_app.usage.blocks import Block
from tray_app.usage.json_fields import round_pct, window_list_json
from tray_app.usage.limits import Limit
from tray_app.usage.model import Entry
from tray_app.usage.official_limits import Counter, LimitSet, OfficialWindow, resolve_limits

if TYPE_CHECKING:  # only annotated here: the CLI's limits/status need not build its classes
    from tray_app.service.snapshot import Snapshot


def block_counter(fixed: Sequence[Block], tail: Mapping[str, Entry]) -> Counter:
    """Tokens counted in [lo, hi): whole finished blocks inside it, the open block's responses.

    A finished block cut by `lo` or `hi` is left out: the estimate rests on the window's
    bulk, and the open block (where the capture and the new tokens fall) is exact.
    """

    def counted(lo: float, hi: float) -> int:
        total = sum(e.total_tokens for e in tail.values() if lo <= e.timestamp < hi)
        for b in fixed:
            if not b.is_gap and b.start >= lo and (b.last_activity or b.end) < hi:
                total += b.tokens
        return total

    return counted


def limits_for(
    captures: Mapping[str, OfficialWindow],
    fallback: Limit,
    block: Block | None,
    fixed: Sequence[Block],
    tail: Mapping[str, Entry],
    now: float,
    max_age: float,
) -> LimitSet:
    """The block's limit (official when fresh) and one limit per window."""
    if not captures:
        return resolve_limits({}, fallback, None if block is None else block.tokens, now, max_age)
    counted = block_counter(fixed, tail)
    tokens = None if block is None else block.tokens
    return resolve_limits(captures, fallback, tokens, now, max_age, counted)


def statusline_state(snap: Snapshot) -> dict[str, Any]:
    """What `token-monitor statusline` reads: the block's figures and every window's %."""
    view = snap.active_block
    block = None
    if view is not None:
        rate = view.tokens_per_minute
        block = {
            "tokens": view.block.tokens,
            "percent": round_pct(view.percent),
            "source": view.limit_source,
            "resets_at": view.resets_at,
            "end": view.block.end,
            "tokens_per_minute": None if rate is None else round(rate, 1),
        }
    # The windows as the dashboard gets them (one renderer; epoch times for arithmetic).
    limits = window_list_json(snap.limits, snap.published_at)
    return {"published_at": snap.published_at, "block": block, "limits": limits}
