"""Five-hour blocks (docs/counting-rules.md): floor to the UTC hour, strict > 5 h, idle gaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tray_app.usage.burn import BurnRate, Projection, burn_rate, project
from tray_app.usage.model import BLOCK_SECONDS, HOUR, Entry, ResetNotice, Totals, TotalsBuilder

CostFn = Callable[[Entry], "float | None"]


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


def _finish(
    start: float,
    end: float,
    official: bool,
    members: Sequence[Entry],
    cost_of: CostFn,
    now: float,
) -> Block:
    total = TotalsBuilder()
    per_model: dict[str, TotalsBuilder] = {}
    for entry in members:
        cost = cost_of(entry)
        total.add(entry, cost)
        per_model.setdefault(entry.model, TotalsBuilder()).add(entry, cost)
    last = members[-1].timestamp
    active = now < end and now - last < BLOCK_SECONDS
    models = tuple(
        ModelShare(name, acc.build())
        for name, acc in sorted(per_model.items(), key=lambda kv: -kv[1].build().total_tokens)
    )
    return Block(
        start, end, members[0].timestamp, last, total.build(), models, active, False, official
    )


def build_blocks(
    entries: Iterable[Entry],
    now: float,
    cost_of: CostFn,
    resets: Iterable[ResetNotice] = (),
    after: float = 0.0,
) -> list[Block]:
    """Group responses (any order) into 5-hour blocks and idle gaps, oldest first.

    `after` is the end of an earlier block when only the newest responses are regrouped.
    """
    ordered = sorted(entries, key=lambda e: e.timestamp)
    notices = sorted(resets, key=lambda r: r.timestamp)
    blocks: list[Block] = []
    members: list[Entry] = []
    start = 0.0
    end = after
    official = False
    ni = 0
    for entry in ordered:
        ts = entry.timestamp
        if members:
            # An official reset seen inside the current block overrides its computed end.
            while ni < len(notices) and notices[ni].timestamp < ts:
                notice = notices[ni]
                ni += 1
                if start <= notice.timestamp < end and notice.resets_at > notice.timestamp:
                    end, official = notice.resets_at, True
            prev = members[-1].timestamp
            expired = ts >= end if official else ts - start > BLOCK_SECONDS
            if expired or ts - prev > BLOCK_SECONDS:
                blocks.append(_finish(start, end, official, members, cost_of, now))
                if ts - prev > BLOCK_SECONDS:
                    blocks.append(
                        Block(prev + BLOCK_SECONDS, ts, None, None, Totals(), (), False, True)
                    )
                members = []
        if not members:
            # Never before the previous block's end (an official reset need not be on the hour).
            start = max(floor_hour(ts), end)
            end = start + BLOCK_SECONDS
            official = False
            while ni < len(notices) and notices[ni].timestamp < start:
                ni += 1
        members.append(entry)
    if members:
        while ni < len(notices):
            notice = notices[ni]
            ni += 1
            if start <= notice.timestamp < end and notice.resets_at > notice.timestamp:
                end, official = notice.resets_at, True
        blocks.append(_finish(start, end, official, members, cost_of, now))
    return blocks


def with_gaps(blocks: Sequence[Block]) -> list[Block]:
    """Real blocks with the idle gaps between them, as `build_blocks` gives them."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1].last_activity if out else None
        first = b.first_activity
        if prev is not None and first is not None and first - prev > BLOCK_SECONDS:
            out.append(Block(prev + BLOCK_SECONDS, first, None, None, Totals(), (), False, True))
        out.append(b)
    return out


def active_block(blocks: Sequence[Block]) -> Block | None:
    """The active block, if any (only the newest can be)."""
    return blocks[-1] if blocks and blocks[-1].is_active else None
