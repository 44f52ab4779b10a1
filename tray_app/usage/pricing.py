"""Prices per model and the cost of one response (docs/counting-rules.md); pure, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from tray_app.usage.model import Entry

MTOK = 1_000_000.0
# docs/counting-rules.md: cache write 5m = 1.25×, 1h = 2×, cache read = 0.1× input, used to fill in
# the cache prices a user override leaves out.
DERIVED_FROM_INPUT: Mapping[str, float] = {
    "cache_write_5m": 1.25,
    "cache_write_1h": 2.0,
    "cache_read": 0.1,
}
RATE_KEYS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")

# Suffixes that name a snapshot of a model, not a different price: `-20250929` (Anthropic
# API), `@20250929` (Vertex), `-latest` (alias); `-v1:0` is Bedrock's version tag.
_SNAPSHOT = re.compile(r"(?:[-@]\d{8}|-latest)$")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")


def normalize_model(model: str) -> str:
    """The price-table key for a model id: no provider prefix, date or version suffix."""
    key = model.strip().lower()
    key = key.rsplit("/", 1)[-1]  # `anthropic/claude-…` or a Bedrock ARN's last part
    key = key.rsplit("anthropic.", 1)[-1]  # Bedrock: `us.anthropic.claude-…-v1:0`
    key = _BEDROCK_VERSION.sub("", key)
    return _SNAPSHOT.sub("", key)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's USD prices per million tokens, with its long-context tier and fast mode."""

    input: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    output: float
    # Rates for ALL of a request's tokens once input + cache writes + cache reads exceed
    # `long_context_above` (Sonnet 4 / 4.5); None = no long-context premium.
    long_context: ModelPrice | None = None
    long_context_above: int = 200_000
    fast_multiplier: float = 1.0  # models without fast mode stay at ×1

    def token_cost(self, entry: Entry) -> float:
        """USD for the entry's tokens at these rates (tier chosen, no multipliers)."""
        e = entry
        return self.tokens_usd(
            e.input_tokens, e.cache_5m_tokens, e.cache_1h_tokens, e.cache_read_tokens,
            e.output_tokens,
        )  # fmt: skip

    def tokens_usd(self, input_: int, cache_5m: int, cache_1h: int, read: int, out: int) -> float:
        """USD for these token counts at these rates (tier chosen, no multipliers)."""
        rates, tier = self, self.long_context
        # All of the request's tokens strictly above the tier's floor (200,000 is standard).
        if tier is not None and input_ + cache_5m + cache_1h + read > self.long_context_above:
            rates = tier
        return (
            input_ * rates.input
            + cache_5m * rates.cache_write_5m
            + cache_1h * rates.cache_write_1h
            + read * rates.cache_read
            + out * rates.output
        ) / MTOK


class PriceTable:
    """Model id → `ModelPrice`, plus the table-wide US-only and web-search prices."""

    __slots__ = (
        "_cache",
        "_prices",
        "checked",
        "source",
        "us_only_multiplier",
        "web_search_per_1000",
    )

    def __init__(
        self,
        prices: Mapping[str, ModelPrice],
        *,
        checked: str,
        source: str = "",
        us_only_multiplier: float = 1.1,
        web_search_per_1000: float = 10.0,
    ) -> None:
        """Keys are normalised with `normalize_model`."""
        self._prices: dict[str, ModelPrice] = {normalize_model(k): v for k, v in prices.items()}
        # Raw model id → price (or None); the hot path then costs one dict lookup.
        self._cache: dict[str, ModelPrice | None] = {}
        self.checked = checked
        self.source = source
        self.us_only_multiplier = us_only_multiplier
        self.web_search_per_1000 = web_search_per_1000

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PriceTable:
        """Build from the `prices.json` layout; raises ValueError naming what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("price table: expected a mapping at the top level")
        checked = data.get("checked")
        if not isinstance(checked, str):
            raise ValueError("price table: 'checked' must be a YYYY-MM-DD string")
        try:
            date.fromisoformat(checked)
        except ValueError:
            raise ValueError(f"price table: 'checked' is not a date: {checked!r}") from None
        source = data.get("source", "")
        if not isinstance(source, str):
            raise ValueError("price table: 'source' must be a string")
        us_only = _number(data.get("us_only_multiplier"), "price table: us_only_multiplier")
        web_search = _number(data.get("web_search_per_1000"), "price table: web_search_per_1000")
        families = data.get("families")
        if not isinstance(families, list) or not families:
            raise ValueError("price table: 'families' must be a non-empty list")
        prices: dict[str, ModelPrice] = {}
        for index, family in enumerate(families):
            where = f"price table: family #{index}"
            if not isinstance(family, Mapping):
                raise ValueError(f"{where}: expected a mapping")
            where = f"price table: family {family.get('name', index)!r}"
            models = family.get("models")
            if not isinstance(models, list) or not models:
                raise ValueError(f"{where}: 'models' must be a non-empty list of model ids")
            price = _family_price(family, where)
            for model in models:
                if not isinstance(model, str) or not model.strip():
                    raise ValueError(f"{where}: model ids must be non-empty strings")
                key = normalize_model(model)
                if key in prices:
                    raise ValueError(f"{where}: model {model!r} is listed twice")
                prices[key] = price
        return cls(
            prices,
            checked=checked,
            source=source,
            us_only_multiplier=us_only,
            web_search_per_1000=web_search,
        )

    @property
    def models(self) -> frozenset[str]:
        """The normalised model ids this table prices."""
        return frozenset(self._prices)

    def price_for(self, model: str) -> ModelPrice | None:
        """The price of `model` (any snapshot/alias spelling), None when unknown."""
        try:
            return self._cache[model]
        except KeyError:
            found = self._cache[model] = self._prices.get(normalize_model(model))
            return found

    def cost(self, entry: Entry) -> float | None:
        """USD for one response; None when the model is unknown (never a silent 0.0)."""
        e = entry
        return self.usd(
            e.model, e.input_tokens, e.cache_5m_tokens, e.cache_1h_tokens, e.cache_read_tokens,
            e.output_tokens, e.web_search_requests, e.speed, e.geo, e.cost_usd,
        )  # fmt: skip

    def usd(
        self, model: str, input_: int, cache_5m: int, cache_1h: int, read: int, out: int,
        web_search: int, speed: str, geo: str, cost_usd: float | None,
    ) -> float | None:  # fmt: skip
        """`cost` from a response's fields (the block cache's bulk read has no Entry)."""
        if cost_usd is not None:
            return cost_usd  # what Claude Code itself computed (legacy costUSD)
        try:
            price = self._cache[model]  # price_for's memo: one call less per response
        except KeyError:
            price = self.price_for(model)
        if price is None:
            return None
        usd = price.tokens_usd(input_, cache_5m, cache_1h, read, out)
        if speed == "fast":
            usd *= price.fast_multiplier
        if geo == "us":
            usd *= self.us_only_multiplier
        # Web search is a separate per-request charge: fast mode and US-only inference
        # multiply token prices only, so it is added after the multipliers.
        return usd + web_search * self.web_search_per_1000 / 1000.0

    def with_overrides(self, overrides: Mapping[str, Mapping[str, float]]) -> PriceTable:
        """A copy where the user's per-model prices extend or replace these; ValueError if bad."""
        # Keys per model: RATE_KEYS. A new model needs input and output; cache prices left
        # out are derived from a given input (the counting rules ratios), else kept from the bundled
        # price, as are its long-context tier and fast multiplier (the config cannot name
        # them, and a stale tier is better than silently dropping the premium).
        prices = dict(self._prices)
        for model, given in overrides.items():
            if not isinstance(model, str) or not model.strip():
                raise ValueError(f"price override: model id {model!r} is not a non-empty string")
            key = normalize_model(model)
            prices[key] = _override_price(model, given, prices.get(key))
        return PriceTable(
            prices,
            checked=self.checked,
            source=self.source,
            us_only_multiplier=self.us_only_multiplier,
            web_search_per_1000=self.web_search_per_1000,
        )


def _number(value: object, where: str) -> float:
    """A finite, non-negative price or multiplier (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{where}: expected a finite number >= 0, got {value!r}")
    return number


def _rates(data: Mapping[str, Any], where: str) -> dict[str, float]:
    """The five per-kind prices of a mapping, all required."""
    rates: dict[str, float] = {}
    for key in RATE_KEYS:
        if key not in data:
            raise ValueError(f"{where}: missing {key!r}")
        rates[key] = _number(data[key], f"{where}: {key}")
    return rates


def _family_price(family: Mapping[str, Any], where: str) -> ModelPrice:
    """One family's `ModelPrice`, validated."""
    long_context: ModelPrice | None = None
    above = 200_000
    tier = family.get("long_context")
    if tier is not None:
        if not isinstance(tier, Mapping):
            raise ValueError(f"{where}: 'long_context' must be a mapping")
        above_value = tier.get("above_tokens")
        if isinstance(above_value, bool) or not isinstance(above_value, int) or above_value <= 0:
            raise ValueError(f"{where}: long_context.above_tokens must be a positive integer")
        above = above_value
        long_context = _price(_rates(tier, f"{where}: long_context"))
    fast = _number(family.get("fast_multiplier", 1.0), f"{where}: fast_multiplier")
    if fast == 0:
        raise ValueError(f"{where}: fast_multiplier must be > 0")
    return replace(
        _price(_rates(family, where)),
        long_context=long_context,
        long_context_above=above,
        fast_multiplier=fast,
    )


def _override_price(model: str, given: object, base: ModelPrice | None) -> ModelPrice:
    """Apply one model's user override to its bundled price (or None for a new model)."""
    where = f"price override for {model!r}"
    if not isinstance(given, Mapping):
        raise ValueError(f"{where}: expected a mapping of {', '.join(RATE_KEYS)}")
    for key in given:
        if key not in RATE_KEYS:
            raise ValueError(f"{where}: unknown key {key!r} (expected {', '.join(RATE_KEYS)})")
    rates = {key: _number(value, f"{where}: {key}") for key, value in given.items()}
    if base is None:
        for key in ("input", "output"):
            if key not in rates:
                raise ValueError(f"{where}: missing {key!r} (a new model needs input and output)")
    if "input" in rates:
        for key, factor in DERIVED_FROM_INPUT.items():
            rates.setdefault(key, rates["input"] * factor)
    return _price(rates, base)


def _price(rates: Mapping[str, float], base: ModelPrice | None = None) -> ModelPrice:
    """A `ModelPrice` from per-kind rates; kinds missing from `rates` are kept from `base`."""
    if base is None:
        return ModelPrice(
            input=rates["input"],
            cache_write_5m=rates["cache_write_5m"],
            cache_write_1h=rates["cache_write_1h"],
            cache_read=rates["cache_read"],
            output=rates["output"],
        )
    return replace(
        base,
        input=rates.get("input", base.input),
        cache_write_5m=rates.get("cache_write_5m", base.cache_write_5m),
        cache_write_1h=rates.get("cache_write_1h", base.cache_write_1h),
        cache_read=rates.get("cache_read", base.cache_read),
        output=rates.get("output", base.output),
    )
