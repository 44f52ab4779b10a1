"""Block limits: max of past blocks, p90 of recent ones, or a fixed number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tray_app.usage.blocks import Block

LimitMode = Literal["max", "p90", "custom"]
SOURCE_LABELS = {
    "max": "max of past blocks",
    "p90": "p90 of recent blocks",
    "custom": "custom limit",
    "official": "official (Claude Code)",
    "none": "no limit yet",
}
P90_WINDOW = 8 * 86400.0


@dataclass(frozen=True, slots=True)
class Limit:
    """A block token limit and where it came from."""

    tokens: int | None
    source: str  # "official" | "max" | "p90" | "custom" | "none"
    # The window this limit is for, and for `official` what Claude Code reported
    # (usage/official_limits.py builds these): the window's used % at the time asked,
    # when it was captured, its reset, and whether tokens counted since moved it forward.
    window: str = "five_hour"
    percent_now: float | None = None
    captured_at: float | None = None
    resets_at: float | None = None
    estimated: bool = False

    @property
    def label(self) -> str:
        """Human wording of the source, shown next to every percentage."""
        return SOURCE_LABELS.get(self.source, self.source)

    def percent(self, tokens: int) -> float | None:
        """`tokens` as a percentage of the limit (an official figure is already a %)."""
        if self.percent_now is not None:
            return self.percent_now
        return None if not self.tokens else tokens * 100.0 / self.tokens


def _finished(blocks: Sequence[Block]) -> list[Block]:
    return [b for b in blocks if not b.is_gap and not b.is_active]


def percentile(values: Sequence[int], q: float) -> float:
    """Linear-interpolated percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def compute_limit(
    blocks: Sequence[Block], mode: LimitMode, now: float, fixed: int | None = None
) -> Limit:
    """The limit for `mode`; none when history has no finished block (or no number set)."""
    if mode == "custom":
        return Limit(fixed, "custom") if fixed and fixed > 0 else Limit(None, "none")
    finished = _finished(blocks)
    if mode == "p90":
        recent = [b.tokens for b in finished if b.start >= now - P90_WINDOW]
        if recent:
            return Limit(round(percentile(recent, 0.9)), "p90")
        return Limit(None, "none")
    if finished:
        return Limit(max(b.tokens for b in finished), "max")
    return Limit(None, "none")
