"""Burn rates and projections: extrapolated only from a long enough span of data (one rule).

Three responses a few seconds apart say nothing about the next hours: "3.9B tok/min" or
"$288,852/h" would be the honest arithmetic of a silly extrapolation. Every rate the app
shows (block burn rate, projection, a model's or a session's average) asks `rate_span`
first and shows "—" (JSON null) while it says no.
"""

from __future__ import annotations

from dataclasses import dataclass

from tray_app.usage.model import Totals

MIN_RATE_SPAN = 300.0  # seconds of data (first to last response) before any rate is shown
MIN_RATE_RESPONSES = 2


def rate_span(seconds: float | None, responses: int) -> float | None:
    """`seconds` when a rate may rest on them, else None (too short or too few responses)."""
    if seconds is None or responses < MIN_RATE_RESPONSES or not seconds >= MIN_RATE_SPAN:
        return None
    return seconds


def span_of(first: float | None, last: float | None, responses: int) -> float | None:
    """Seconds from the first to the last response, when long enough for a rate."""
    if first is None or last is None:
        return None
    return rate_span(last - first, responses)


@dataclass(frozen=True, slots=True)
class BurnRate:
    """Tokens per minute and priced dollars per hour over a block's span of data."""

    tokens_per_minute: float
    usd_per_hour: float  # the priced part (see `cost_complete`)
    cost_complete: bool


@dataclass(frozen=True, slots=True)
class Projection:
    """Tokens and priced cost at the block's end if the burn rate holds."""

    tokens: int
    cost_usd: float  # the priced part (see `cost_complete`)
    cost_complete: bool
    minutes_left: float


def burn_rate(totals: Totals, first: float | None, last: float | None) -> BurnRate | None:
    """The burn rate of responses spanning first..last; None while the span is too short."""
    seconds = span_of(first, last, totals.responses)
    if seconds is None:
        return None
    minutes = seconds / 60.0
    return BurnRate(
        totals.total_tokens / minutes, totals.cost_usd / minutes * 60.0, totals.cost_complete
    )


def share_per_minute(
    tokens: int, first: float | None, last: float | None, responses: int
) -> float | None:
    """A part's tokens (e.g. one model's) per minute of the whole block's span."""
    seconds = span_of(first, last, responses)
    return None if seconds is None else tokens / (seconds / 60.0)


def project(
    totals: Totals, first: float | None, last: float | None, end: float, now: float
) -> Projection | None:
    """Totals at `end` at the current burn rate; None while there is no rate."""
    rate = burn_rate(totals, first, last)
    if rate is None:
        return None
    minutes_left = max(0.0, (end - now) / 60.0)
    return Projection(
        round(totals.total_tokens + rate.tokens_per_minute * minutes_left),
        totals.cost_usd + rate.usd_per_hour * minutes_left / 60.0,
        totals.cost_complete,
        minutes_left,
    )
