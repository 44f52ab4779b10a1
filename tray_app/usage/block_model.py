"""A five-hour block as every report shows it (docs/counting-rules.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tray_app.usage.burn import BurnRate, Projection, burn_rate, project
from tray_app.usage.model import HOUR, Entry, Totals


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


class HeldResponses(Mapping[str, Entry]):
    """Read-only view of a block's held responses by key (the builder's own dict)."""

    __slots__ = ("_held",)

    def __init__(self, held: dict[str, tuple[Entry, float | None, int]]) -> None:
        self._held = held

    def __getitem__(self, key: str) -> Entry:
        return self._held[key][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)
