"""A five-hour block as every report shows it (docs/counting-rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

from tray_app.usage.burn import BurnRate, Projection, burn_rate, project
from tray_app.usage.model import HOUR, Totals


@dataclass(frozen=True, slots=True)
class ModelShare:
    """One model's part of a block or report."""

    model: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class Block:
    """A 5-hour window (or an idle gap between windows)."""

    start: float
    end: float
    first_activity: float | None
    last_activity: float | None
    totals: Totals
    models: tuple[ModelShare, ...]
    is_active: bool
    is_gap: bool
    official_reset: bool = False

    @property
    def tokens(self) -> int:
        """Block tokens: the four kinds added up."""
        return self.totals.total_tokens

    def burn_rate(self) -> BurnRate | None:
        """Tokens/min and $/hour from first to last response; None on too short a span."""
        return burn_rate(self.totals, self.first_activity, self.last_activity)

    def projection(self, now: float) -> Projection | None:
        """Totals at the block's end at the current burn rate; active blocks only."""
        if not self.is_active:
            return None
        return project(self.totals, self.first_activity, self.last_activity, self.end, now)


def floor_hour(ts: float) -> float:
    """Floor an epoch time to the UTC hour."""
    return ts - (ts % HOUR)
