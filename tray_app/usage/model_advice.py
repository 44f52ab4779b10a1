"""Model advice from the user's own usage: cost per model, re-priced cost, limit pressure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from tray_app.usage.blocks import Block
from tray_app.usage.model import Entry
from tray_app.usage.model_select import ALIAS_PRICED_AS
from tray_app.usage.pricing import ModelPrice, PriceTable, normalize_model

HIGH = 80.0  # % of a limit window that counts as "close"
_WINDOW = {"five_hour": "5-hour", "seven_day": "weekly", "seven_day_opus": "weekly Opus"}
LOW = 50.0
CostFn = Callable[[Entry], float | None]


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """One model's share of the period."""

    model: str
    responses: int
    tokens: int
    cost_usd: float  # the priced part
    unpriced: int  # responses without a price (their cost is unknown, not 0)
    cache_hit: float | None  # cache reads / all prompt tokens


@dataclass(frozen=True, slots=True)
class Repriced:
    """The whole period's tokens at another model's prices."""

    alias: str
    priced_as: str
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Pressure:
    """How close the 5-hour blocks came to the limit."""

    peak_percent: float | None  # the fullest block's % of the limit (None: no limit known)
    blocks_over: int  # blocks at or above HIGH %
    blocks: int
    limit_hits: int  # official "limit reached" notices in the period
    # Claude Code's own windows now (name -> used %), from the status-line captures.
    windows_now: tuple[tuple[str, float], ...] = ()
    # Whether the limit is real (official or the user's number): the largest past block
    # or its p90 is a guess, and the fullest block is at 100 % of "max" by definition.
    limit_is_real: bool = False

    @property
    def close(self) -> list[str]:
        """Plain reasons why the limits are close (empty: they are not)."""
        hits = self.limit_hits
        out = [f"you hit a limit {hits} time{'s' if hits > 1 else ''}"] if hits else []
        out += [
            f"Claude Code says you are at {_WINDOW.get(n, n)} {pct:.0f} %"
            for n, pct in self.windows_now
            if pct >= HIGH
        ]
        if self.limit_is_real and self.peak_percent is not None and self.peak_percent >= HIGH:
            out.append(f"your fullest 5-hour block reached {self.peak_percent:.0f} % of your limit")
        return out

    @property
    def tight(self) -> bool:
        """Whether any real figure says the limits are close."""
        return bool(self.close)

    def room(self) -> str:
        """Plain words for how much room there was."""
        parts = ["no limit was reached"]
        if self.windows_now:
            top = max(pct for _, pct in self.windows_now)
            parts.append(f"Claude Code's figures are at most {top:.0f} %")
        if self.limit_is_real and self.peak_percent is not None:
            parts.append(f"your fullest 5-hour block reached {self.peak_percent:.0f} %")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked choice and why, in plain words."""

    profile: str
    value: str
    cost_usd: float | None
    reason: str


@dataclass(frozen=True, slots=True)
class Advice:
    """Everything `model recommend` shows for one period."""

    days: int
    models: tuple[ModelUsage, ...]
    cost_usd: float
    unpriced: int
    cache_hit: float | None
    repriced: tuple[Repriced, ...]
    pressure: Pressure
    suggestions: tuple[Suggestion, ...]


def _cache_hit(entries: Iterable[Entry]) -> float | None:
    read = prompt = 0
    for e in entries:
        read += e.cache_read_tokens
        prompt += e.input_tokens + e.cache_creation_tokens + e.cache_read_tokens
    return read / prompt if prompt else None


def repriced_cost(entries: Iterable[Entry], price: ModelPrice, table: PriceTable) -> float:
    """USD for these responses had they run on `price`'s model (same tokens, same options)."""
    total = 0.0
    for e in entries:
        usd = price.token_cost(e) * (price.fast_multiplier if e.speed == "fast" else 1.0)
        usd *= table.us_only_multiplier if e.geo == "us" else 1.0
        total += usd + e.web_search_requests * table.web_search_per_1000 / 1000.0
    return total


def pressure(
    blocks: Sequence[Block],
    limit_tokens: int | None,
    limit_hits: int,
    windows_now: Iterable[tuple[str, float]] = (),
    limit_is_real: bool = False,
) -> Pressure:
    """Peak block % of the limit and how many blocks came within HIGH % of it."""
    real = [b for b in blocks if not b.is_gap]
    now = tuple(windows_now)
    if not limit_tokens:
        return Pressure(None, 0, len(real), limit_hits, now, limit_is_real)
    percents = [b.tokens * 100.0 / limit_tokens for b in real]
    over = sum(p >= HIGH for p in percents)
    peak = max(percents, default=None)
    return Pressure(peak, over, len(real), limit_hits, now, limit_is_real)


def _usd(x: float | None) -> str:
    return "unknown" if x is None else f"${x:,.2f}"


def _rank(p: Pressure) -> tuple[str, ...]:
    if p.tight:
        return ("balanced", "cheap", "best")
    if p.limit_is_real and p.peak_percent is not None and p.peak_percent >= LOW:
        return ("balanced", "best", "cheap")
    return ("best", "balanced", "cheap")


def _why(profile: str, p: Pressure, cost: float | None, actual: float, days: int) -> str:
    saving = ""
    if cost is not None and actual > 0:
        change = (cost - actual) / actual * 100
        saving = f" ({abs(change):.0f} % {'less' if change < 0 else 'more'})"
    same = f"the same work would have cost {_usd(cost)} instead of {_usd(actual)}{saving}"
    tight = p.tight
    if profile == "balanced" and tight:
        return (
            f"In the last {days} days {' and '.join(p.close)}. On Sonnet {same}, and your"
            " limits last longer."
        )
    if profile == "best" and not tight:
        return f"In the last {days} days {p.room()}: room for Opus; {same}."
    if profile == "cheap":
        return f"Cheapest: {same}. Good for small edits and questions, weaker on large changes."
    if profile == "best":
        return f"Strongest, but you are near your limits; {same}."
    return f"A middle way: {same}."


def advise(
    entries: Sequence[Entry],
    cost_of: CostFn,
    table: PriceTable,
    profiles: Mapping[str, str],
    press: Pressure,
    days: int,
) -> Advice:
    """The period's figures and a ranked suggestion (profiles best/balanced/cheap)."""
    by_model: dict[str, list[Entry]] = {}
    for e in entries:
        by_model.setdefault(normalize_model(e.model) or "unknown", []).append(e)
    models: list[ModelUsage] = []
    for model, group in by_model.items():
        costs = [cost_of(e) for e in group]
        priced = sum(c for c in costs if c is not None)
        unpriced = sum(c is None for c in costs)
        tokens = sum(e.total_tokens for e in group)
        models.append(ModelUsage(model, len(group), tokens, priced, unpriced, _cache_hit(group)))
    models.sort(key=lambda m: (-m.cost_usd, -m.tokens))
    actual = sum(m.cost_usd for m in models)
    unpriced = sum(m.unpriced for m in models)
    repriced: list[Repriced] = []
    for alias in ("opus", "sonnet", "haiku", "fable"):
        price = table.price_for(ALIAS_PRICED_AS[alias])
        if price is not None:
            cost = repriced_cost(entries, price, table)
            repriced.append(Repriced(alias, ALIAS_PRICED_AS[alias], cost))
    suggestions: list[Suggestion] = []
    if entries:
        for profile in _rank(press):
            value = profiles.get(profile, profile)
            price = table.price_for(ALIAS_PRICED_AS.get(value, value))
            at = None if price is None else repriced_cost(entries, price, table)
            suggestions.append(
                Suggestion(profile, value, at, _why(profile, press, at, actual, days))
            )
        hit = _cache_hit(entries)
        if hit is not None and hit < 0.5:
            first = suggestions[0]
            note = (
                f" Only {hit * 100:.0f} % of prompt tokens came from the cache: change models"
                " between sessions, not in the middle of one (a switch starts the cache afresh)."
            )
            suggestions[0] = Suggestion(
                first.profile, first.value, first.cost_usd, first.reason + note
            )
    return Advice(
        days,
        tuple(models),
        actual,
        unpriced,
        _cache_hit(entries),
        tuple(repriced),
        press,
        tuple(suggestions),
    )
