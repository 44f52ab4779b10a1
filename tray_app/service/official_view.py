"""Official limits for a snapshot: counted tokens from the live state, and the status-line state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tray_app.service.snapshot import Snapshot
from tray_app.usage.blocks import Block
from tray_app.usage.limits import Limit
from tray_app.usage.model import Entry
from tray_app.usage.official_limits import Counter, LimitSet, OfficialWindow, resolve_limits


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


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def statusline_state(snap: Snapshot) -> dict[str, Any]:
    """What `token-monitor statusline` reads: the block's figures and every window's %."""
    view = snap.active_block
    block = None
    if view is not None:
        block = {
            "tokens": view.block.tokens,
            "percent": _round(view.percent),
            "source": view.limit_source,
            "resets_at": view.resets_at,
            "end": view.block.end,
            "tokens_per_minute": _round(view.tokens_per_minute, 1),
        }
    limits = [
        {"window": w.window, "percent": _round(w.percent_now), "source": w.source,
         "captured_at": w.captured_at, "resets_at": w.resets_at, "estimated": w.estimated}
        for w in snap.limits
    ]  # fmt: skip
    return {"published_at": snap.published_at, "block": block, "limits": limits}
