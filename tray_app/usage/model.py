"""The counted facts: one response's usage, reset notices and token totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

HOUR = 3600.0
BLOCK_SECONDS = 5 * HOUR


class Entry(NamedTuple):
    """One API response (the winning copy under docs/counting-rules.md), metrics and ids only."""

    # A NamedTuple, not a frozen dataclass: it is built for every usage line and every
    # ledger row, and tuple construction is ~4x faster (restart time, scripts/bench.py).

    key: str
    timestamp: float  # epoch seconds, UTC
    session_id: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_5m_tokens: int = 0
    cache_1h_tokens: int = 0
    cache_read_tokens: int = 0
    web_search_requests: int = 0
    speed: str = ""  # "fast" for fast mode, else ""
    geo: str = ""  # "us" for US-only inference, else ""
    cost_usd: float | None = None  # legacy `costUSD` written by Claude Code itself
    sidechain: bool = False
    message_id: str = ""
    request_id: str = ""
    cwd: str = ""

    @property
    def cache_creation_tokens(self) -> int:
        """Cache writes of both lifetimes."""
        return self.cache_5m_tokens + self.cache_1h_tokens

    @property
    def total_tokens(self) -> int:
        """The four token kinds added up (what a 5-hour block counts)."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_5m_tokens
            + self.cache_1h_tokens
            + self.cache_read_tokens
        )


@dataclass(frozen=True, slots=True)
class ResetNotice:
    """An official limit-reset time read from a `<synthetic>` limit message."""

    timestamp: float
    resets_at: float
    # "five_hour" ends the block; other windows ("seven_day", ...) only mark it full.
    window: str = "five_hour"


@dataclass(frozen=True, slots=True)
class Totals:
    """Tokens by kind plus cost: `cost_usd` is the priced part, never hiding unpriced ones.

    A response whose model has no price adds its tokens but no cost; `unpriced_responses`
    and `unpriced_tokens` say how much of the figure `cost_usd` leaves out.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    responses: int = 0
    unpriced_responses: int = 0
    unpriced_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """The four token kinds added up."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_tokens
            + self.cache_read_tokens
        )

    @property
    def cost_complete(self) -> bool:
        """Whether every response in these totals has a price."""
        return self.unpriced_responses == 0

    @property
    def priced_any(self) -> bool:
        """Whether any response has a price (else the cost is wholly unknown)."""
        return self.unpriced_responses < self.responses


@dataclass(slots=True)
class TotalsBuilder:
    """Running sums for `Totals` that can also take a response back out (live replacement)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0
    unpriced: int = 0  # responses without a price
    unpriced_tokens: int = 0
    responses: int = 0

    def add(self, entry: Entry, cost: float | None, sign: int = 1) -> None:
        """Count one response (sign 1) or take it back out (sign -1)."""
        self.input_tokens += sign * entry.input_tokens
        self.output_tokens += sign * entry.output_tokens
        self.cache_creation_tokens += sign * (entry.cache_5m_tokens + entry.cache_1h_tokens)
        self.cache_read_tokens += sign * entry.cache_read_tokens
        self.responses += sign
        if cost is None:
            self.unpriced += sign
            self.unpriced_tokens += sign * entry.total_tokens
        else:
            self.cost += sign * cost

    def build(self) -> Totals:
        """Freeze the running sums (rounded: taking costs back out leaves float dust)."""
        return Totals(
            self.input_tokens,
            self.output_tokens,
            self.cache_creation_tokens,
            self.cache_read_tokens,
            round(self.cost, 9),
            self.responses,
            self.unpriced,
            self.unpriced_tokens,
        )
