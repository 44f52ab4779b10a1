"""Block limits: max of past blocks, p90 of recent ones, or a fixed number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from tray_app.usage.blocks import Block

LimitMode = Literal["max", "p90", "custom"]
P90_WINDOW = 8 * 86400.0


class LimitSource(StrEnum):
    """Where a limit (or a window's %) comes from: the one type every display and JSON uses.

    A StrEnum: JSON, metric labels and f-strings show the plain value (`"official"`).
    """

    OFFICIAL = "official"  # Claude Code's own figure (status line, usage API, limit message)
    MAX = "max"  # the largest finished block
    P90 = "p90"  # p90 of recent finished blocks
    CUSTOM = "custom"  # a number the user set
    NONE = "none"  # nothing known yet

    @property
    def label(self) -> str:
        """Wording shown next to every percentage (`63% of p90 of recent blocks`)."""
        return _LABELS[self]

    @property
    def short(self) -> str:
        """Shorter wording for the tray's tooltip (`63% of p90`)."""
        return _SHORT.get(self, _LABELS[self])

    @property
    def trusted(self) -> bool:
        """A real limit (Claude Code's or the user's), not a guess from past blocks."""
        return self in (LimitSource.OFFICIAL, LimitSource.CUSTOM)


_LABELS = {
    LimitSource.MAX: "max of past blocks",
    LimitSource.P90: "p90 of recent blocks",
    LimitSource.CUSTOM: "custom limit",
    LimitSource.OFFICIAL: "official (Claude Code)",
    LimitSource.NONE: "no limit yet",
}
_SHORT = {LimitSource.OFFICIAL: "official limit", LimitSource.P90: "p90"}
# Kept for callers that look a label up by the plain string (old JSON, alert records).
SOURCE_LABELS = {str(s): s.label for s in LimitSource}


@dataclass(frozen=True, slots=True)
class Limit:
    """A block token limit and where it came from."""

    tokens: int | None
    source: LimitSource  # a plain string is turned into the enum (an unknown one raises)
    # The window this limit is for, and for `official` what Claude Code reported
    # (usage/official_limits.py builds these): the window's used % at the time asked,
    # when it was captured, its reset, and whether tokens counted since moved it forward.
    window: str = "five_hour"
    percent_now: float | None = None
    captured_at: float | None = None
    resets_at: float | None = None
    estimated: bool = False

    def __post_init__(self) -> None:
        # Why: a typo'd source ("block", "Official") must fail where it is made, not show
        # up later as a raw string in a tooltip or a metric label.
        object.__setattr__(self, "source", LimitSource(self.source))

    @property
    def label(self) -> str:
        """Human wording of the source, shown next to every percentage."""
        return self.source.label

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
    blocks: Sequence[Block],
    mode: LimitMode,
    now: float,
    fixed: int | None = None,
    earlier_peak: int | None = None,
) -> Limit:
    """The limit for `mode`; none when history has no finished block (or no number set).

    `earlier_peak`: the largest of finished blocks older than `blocks` (and than the p90
    window), when the caller holds only the recent ones."""
    if mode == "custom":
        if fixed and fixed > 0:
            return Limit(fixed, LimitSource.CUSTOM)
        return Limit(None, LimitSource.NONE)
    finished = _finished(blocks)
    if mode == "p90":
        recent = [b.tokens for b in finished if b.start >= now - P90_WINDOW]
        if recent:
            return Limit(round(percentile(recent, 0.9)), LimitSource.P90)
        return Limit(None, LimitSource.NONE)
    peaks = [b.tokens for b in finished] + ([] if earlier_peak is None else [earlier_peak])
    if peaks:
        return Limit(max(peaks), LimitSource.MAX)
    return Limit(None, LimitSource.NONE)
