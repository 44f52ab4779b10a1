"""A five-hour block as every report shows it (docs/counting-rules.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from tray_app.usage.burn import BurnRate, Projection, burn_rate, project
from tray_app.usage.model import BLOCK_SECONDS, HOUR, Entry, ResetNotice, Totals, TotalsBuilder


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


def ends_before(ts: float, start: float, end: float, last: float, official: bool) -> bool:
    """Whether the open block ends before a response at `ts` (which then opens the next).

    An official end is where it says; otherwise five hours from the start. A gap of more
    than five hours since the last response ends it too.
    """
    expired = ts >= end if official else ts - start > BLOCK_SECONDS
    return expired or ts - last > BLOCK_SECONDS


@dataclass(frozen=True, slots=True)
class Stale:
    """An arrival older than the last closed block's end: regroup from `since` on."""

    since: float


def model_shares(per_model: Mapping[str, TotalsBuilder]) -> tuple[ModelShare, ...]:
    """Per-model totals, most tokens first (ties keep first-seen order)."""
    return ranked([(m, acc.build()) for m, acc in per_model.items() if acc.responses > 0])


def ranked(built: list[tuple[str, Totals]]) -> tuple[ModelShare, ...]:
    """Model shares most tokens first (ties keep the list's order)."""
    built.sort(key=lambda mt: -mt[1].total_tokens)
    return tuple(ModelShare(m, t) for m, t in built)


def applies(notice: ResetNotice, start: float, end: float) -> bool:
    """Whether a reset notice replaces the end of the block [start, end)."""
    return start <= notice.timestamp < end and notice.resets_at > notice.timestamp


def notice_time(notice: ResetNotice) -> float:
    """When a notice was written."""
    return notice.timestamp


def notice_order(notice: ResetNotice) -> tuple[float, float]:
    """Notices written at one time are weighed earliest reset first, so the latest one
    ends the block whatever order they were read in (docs/counting-rules.md)."""
    return (notice.timestamp, notice.resets_at)


def runs_into(last: float | None, first: float | None) -> bool:
    """Whether a block's newest response is as late as the next block's first.

    Responses of one time can fall in two blocks (a reset notice weighed between them ends
    the first; one written before a block's opening response can end it before it), so
    "after the first block's newest response" does not mean "in a later block" then.
    """
    return last is not None and first is not None and last >= first


def storable(closed: Sequence[Block], next_first: float | None) -> int:
    """How many of `closed` (in order) a cache may keep, given the next response's time:
    a resume reads the responses after the last kept block's newest one, so a block that
    `runs_into` the next is not kept, nor any after it (the resume reads them again)."""
    nexts = [*(b.first_activity for b in closed[1:]), next_first] if closed else []
    for i, (b, nxt) in enumerate(zip(closed, nexts, strict=True)):
        if runs_into(b.last_activity, nxt):
            return i
    return len(closed)


def active_at(b: Block, now: float) -> bool:
    """Whether a block is still active at `now`."""
    last = b.last_activity
    return last is not None and now < b.end and now - last < BLOCK_SECONDS


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
