"""Pure alert decisions: which usage notifications to show, each at most once per block."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from tray_app.usage.formatting import compact, duration
from tray_app.usage.limits import LimitSource

NEW_BLOCK = "new_block"
PROJECTION = "projection"
THRESHOLD = "threshold:"  # + the whole percentage, e.g. "threshold:80"


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification to show: `kind` is "threshold:80", "projection" or "new_block"."""

    kind: str
    block_start: float
    title: str
    body: str


class AlertMemory(Protocol):
    """Which (block, kind) alerts were already handled; persistent in the app (the ledger)."""

    def fired(self, block_start: float, kind: str) -> bool:
        """True once `record` was called for this block and kind."""
        ...

    def record(self, block_start: float, kind: str, at: float) -> None:
        """Remember that this alert was handled at `at` (shown or deliberately skipped)."""
        ...


@dataclass(frozen=True, slots=True)
class BlockState:
    """The active block as plain values (the service builds it from its `BlockView`)."""

    start: float
    end: float  # the reset time (official when known)
    tokens: int
    percent: float | None  # of the limit; None while no limit is known
    limit_tokens: int | None
    limit_source: LimitSource
    projected_tokens: int | None = None  # at the block's end at the current rate


@dataclass(frozen=True, slots=True)
class AlertRules:
    """What the user asked to be told about (from the settings)."""

    thresholds: tuple[int, ...] = (50, 80, 95)
    notify_projection: bool = True
    notify_new_block: bool = False
    # Early in a block the burn rate rests on a few minutes of work and the projection
    # swings wildly; it only alerts once this share of the limit is really used.
    projection_min_percent: float = 20.0


@dataclass(frozen=True, slots=True)
class Decision:
    """Alerts to show now, and every kind to record for the block (shown or skipped)."""

    block_start: float
    fire: tuple[Alert, ...] = ()
    mark: tuple[str, ...] = ()


def _clock(ts: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M")


def _resets(block: BlockState, now: float, tz: tzinfo) -> str:
    return f"resets {_clock(block.end, tz)} (in {duration(block.end - now)})"


def _limit_label(block: BlockState) -> str:
    return LimitSource(block.limit_source).label


def _threshold_alert(kind: str, block: BlockState, percent: float, now: float, tz: tzinfo) -> Alert:
    threshold = max(0, math.floor(percent))
    if block.limit_tokens:
        amount = f"{compact(block.tokens)} of {compact(block.limit_tokens)} tokens"
    else:  # an official percentage comes without a token limit
        amount = f"{threshold}% used"
    return Alert(
        kind,
        block.start,
        f"Claude usage at {threshold}% of your 5-hour limit",
        f"{amount} (limit: {_limit_label(block)}) · {_resets(block, now, tz)}",
    )


def _limit_hit_at(block: BlockState, now: float, rules: AlertRules) -> float | None:
    """When the current rate reaches the limit, if that is before the block's end."""
    limit, projected = block.limit_tokens, block.projected_tokens
    if not limit or projected is None or block.percent is None or now >= block.end:
        return None
    if block.percent < rules.projection_min_percent or not block.tokens < limit <= projected:
        return None
    per_second = (projected - block.tokens) / (block.end - now)
    return now + (limit - block.tokens) / per_second if per_second > 0 else None


def _projection_alert(block: BlockState, hit: float, now: float, tz: tzinfo) -> Alert:
    return Alert(
        PROJECTION,
        block.start,
        "Claude usage on track to hit your 5-hour limit",
        f"At this rate {compact(block.limit_tokens or 0)} tokens are used by "
        f"{_clock(hit, tz)} (in {duration(hit - now)}), before the reset at "
        f"{_clock(block.end, tz)} (limit: {_limit_label(block)})",
    )


def _new_block_alert(block: BlockState, now: float, tz: tzinfo) -> Alert:
    return Alert(
        NEW_BLOCK,
        block.start,
        "New 5-hour Claude usage block",
        f"Started {_clock(block.start, tz)} · {_resets(block, now, tz)}",
    )


def plan_alerts(
    memory: AlertMemory,
    block: BlockState | None,
    now: float,
    rules: AlertRules,
    tz: tzinfo = UTC,
    *,
    catch_up: bool = False,
) -> Decision | None:
    """Decide without recording; None when there is no active block (nothing ever fires)."""
    if block is None or now >= block.end:
        return None
    fire: list[Alert] = []
    mark: list[str] = []
    percent = block.percent
    if percent is not None and not math.isnan(percent):
        crossed = sorted(t for t in set(rules.thresholds) if percent >= t)
        if crossed:
            # Only the highest threshold is news: lower ones (a jump, or a restart
            # mid-block) are recorded silently, and a higher one already shown wins.
            top = f"{THRESHOLD}{crossed[-1]}"
            if not memory.fired(block.start, top):
                fire.append(_threshold_alert(top, block, percent, now, tz))
            kinds = [f"{THRESHOLD}{t}" for t in crossed]
            mark += [k for k in kinds if not memory.fired(block.start, k)]
    hit = _limit_hit_at(block, now, rules) if rules.notify_projection else None
    if hit is not None and not memory.fired(block.start, PROJECTION):
        # After a restart only the threshold may speak: a projection that is already
        # true is recorded silently, one that becomes true later still alerts.
        if not catch_up:
            fire.append(_projection_alert(block, hit, now, tz))
        mark.append(PROJECTION)
    if rules.notify_new_block and not memory.fired(block.start, NEW_BLOCK):
        # A block already running when the app starts is not new to the user.
        if not catch_up:
            fire.insert(0, _new_block_alert(block, now, tz))
        mark.append(NEW_BLOCK)
    return Decision(block.start, tuple(fire), tuple(mark))


def apply_decision(memory: AlertMemory, decision: Decision | None, now: float) -> list[Alert]:
    """Record every kind the decision handled and return the alerts to show."""
    if decision is None:
        return []
    for kind in decision.mark:
        memory.record(decision.block_start, kind, now)
    return list(decision.fire)


def check_alerts(
    memory: AlertMemory,
    block: BlockState | None,
    now: float,
    rules: AlertRules,
    tz: tzinfo = UTC,
) -> list[Alert]:
    """The alerts to show on a periodic tick, recorded first so none ever repeats."""
    return apply_decision(memory, plan_alerts(memory, block, now, rules, tz), now)


def alerts_for_catch_up(
    memory: AlertMemory,
    block: BlockState | None,
    now: float,
    rules: AlertRules,
    tz: tzinfo = UTC,
) -> list[Alert]:
    """The first check after start-up: at most the active block's highest new threshold."""
    decision = plan_alerts(memory, block, now, rules, tz, catch_up=True)
    return apply_decision(memory, decision, now)
