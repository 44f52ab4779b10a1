"""Auto-switch: near a limit, start new sessions on a cheaper model; back after the reset.

Pure: the caller passes the limit windows, the current `model` value, what happened last
and `now`. The rule never fights the user: a choice made by hand after an automatic switch
holds until the reset that switch was waiting for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

WINDOW_NAMES = {
    "five_hour": "5-hour",
    "seven_day": "weekly",
    "seven_day_opus": "weekly Opus",
    "seven_day_sonnet": "weekly Sonnet",
}
WATCHED = ("five_hour", "seven_day", "seven_day_opus")


@dataclass(frozen=True, slots=True)
class WindowReading:
    """One limit window as the rule sees it (built from `Snapshot.limits`)."""

    window: str  # "five_hour" | "seven_day" | "seven_day_opus" | …
    percent: float | None  # used %, 0-100 (None = unknown)
    resets_at: float | None  # epoch seconds


@dataclass(frozen=True, slots=True)
class SwitchInput:
    """What the rule looks at, all as of `now`."""

    now: float
    windows: Sequence[WindowReading]
    current: str | None  # the user settings.json `model` now (None = unset)
    projected_over: bool = False  # the 5-hour projection reaches the limit before the reset
    block_resets_at: float | None = None  # when the 5-hour block resets


@dataclass(frozen=True, slots=True)
class LastChange:
    """The newest entry of the model history (kind "auto", "restore" or "manual")."""

    kind: str
    old: str | None
    new: str | None
    until: float | None


@dataclass(frozen=True, slots=True)
class SwitchRule:
    """The user's auto-switch settings; `target` is the value of the `balanced` profile."""

    enabled: bool = False
    percent: float = 80.0
    target: str = "sonnet"
    windows: tuple[str, ...] = WATCHED
    # Values already at or below the target's price: switching them would cost more.
    economical: frozenset[str] = frozenset({"sonnet", "sonnet[1m]", "haiku"})


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do now; `kind` "none" changes nothing."""

    kind: Literal["none", "auto", "restore", "manual"]
    value: str | None = None  # the model to write (None = remove the key)
    old: str | None = None
    reason: str = ""
    until: float | None = None


def _clock(ts: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%a %H:%M")


def triggers(rule: SwitchRule, inp: SwitchInput) -> list[tuple[str, float | None]]:
    """Why a switch is due: (plain reason, reset time) for each window at or over the line."""
    found: list[tuple[str, float | None]] = []
    for w in inp.windows:
        if w.window not in rule.windows or w.percent is None:
            continue
        if w.resets_at is not None and w.resets_at <= inp.now:
            continue  # past its reset: that window is back at 0 %
        if w.percent >= rule.percent:
            name = WINDOW_NAMES.get(w.window, w.window)
            found.append((f"the {name} limit is at {w.percent:.0f} %", w.resets_at))
    if inp.projected_over and inp.block_resets_at is not None and inp.block_resets_at > inp.now:
        found.append(("the 5-hour limit will be hit before it resets", inp.block_resets_at))
    return found


def decide(
    rule: SwitchRule, last: LastChange | None, inp: SwitchInput, tz: tzinfo | None = None
) -> Decision:
    """The one step the rule takes now (never more than one change per call)."""
    now = inp.now
    auto_active = last is not None and last.kind == "auto"
    if auto_active and last is not None and inp.current != last.new:
        # The user (in Claude Code, the file or elsewhere) chose since: that choice wins.
        return Decision("manual", inp.current, last.new, "changed by hand", last.until)
    if not rule.enabled:
        return Decision("none")
    found = triggers(rule, inp)
    if auto_active and last is not None:
        until = last.until
        if found or (until is not None and now < until):
            return Decision("none")  # still tight (maybe another window): keep waiting
        when = f" at {_clock(until, tz)}" if until is not None else ""
        reason = f"the limit that triggered the switch reset{when}"
        return Decision("restore", last.old, last.new, reason)
    if last is not None and last.kind == "manual" and last.until is not None and now < last.until:
        return Decision("none")  # a hand-made choice holds until that reset
    if not found or inp.current == rule.target or inp.current in rule.economical:
        return Decision("none")
    resets = [t for _, t in found if t is not None]
    until = max(resets) if resets else None
    reason = " and ".join(r for r, _ in found)
    if until is not None:
        reason += f"; back after the reset ({_clock(until, tz)})"
    return Decision("auto", rule.target, inp.current, reason, until)


def hold_until(last: LastChange | None, now: float) -> float | None:
    """For a choice made by hand now: the reset it holds until (after an automatic switch,
    or after an earlier hand-made choice that still holds)."""
    if last is None or last.kind not in ("auto", "manual"):
        return None
    return last.until if last.until is not None and last.until > now else None
