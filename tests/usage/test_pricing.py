"""docs/counting-rules.md pricing rules, each pinned to exact dollar amounts."""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any

import pytest

from tray_app.usage.model import Entry
from tray_app.usage.pricing import ModelPrice, PriceTable, normalize_model

# the counting rules table: input, cache write 5m, cache write 1h, cache read, output (USD / MTok).
OPUS_NEW = (5.0, 6.25, 10.0, 0.50, 25.0)
OPUS_OLD = (15.0, 18.75, 30.0, 1.50, 75.0)
SONNET = (3.0, 3.75, 6.0, 0.30, 15.0)
HAIKU_45 = (1.0, 1.25, 2.0, 0.10, 5.0)
HAIKU_35 = (0.80, 1.00, 1.60, 0.08, 4.0)
HAIKU_3 = (0.25, 0.30, 0.50, 0.03, 1.25)
SPEC_PRICES = {
    "claude-opus-4-5": OPUS_NEW,
    "claude-opus-4-6": OPUS_NEW,
    "claude-opus-4-7": OPUS_NEW,
    "claude-opus-4-8": OPUS_NEW,
    "claude-opus-5": OPUS_NEW,
    "claude-opus-4-1": OPUS_OLD,
    "claude-opus-4": OPUS_OLD,
    "claude-3-opus": OPUS_OLD,
    "claude-sonnet-4-6": SONNET,
    "claude-sonnet-4-5": SONNET,
    "claude-sonnet-4": SONNET,
    "claude-3-7-sonnet": SONNET,
    "claude-3-5-sonnet": SONNET,
    "claude-haiku-4-5": HAIKU_45,
    "claude-3-5-haiku": HAIKU_35,
    "claude-3-haiku": HAIKU_3,
    "claude-fable-5": (10, 12.5, 20, 1, 50),
    # Not in the main price source: from their model pages (issue 11: Sonnet 5.x).
    "claude-sonnet-5": (2, 2.5, 4, 0.2, 10),
    "claude-sonnet-5-5": (2, 2.5, 4, 0.2, 10),
}


def bundled_data() -> dict[str, Any]:
    """The shipped prices.json, parsed (the pure core never reads files itself)."""
    text = files("tray_app.data").joinpath("prices.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture(scope="module")
def table() -> PriceTable:
    """The bundled table."""
    return PriceTable.from_mapping(bundled_data())


def entry(model: str, **fields: Any) -> Entry:
    """A response with only the fields a test cares about."""
    return Entry(key="k", timestamp=0.0, session_id="s", model=model, **fields)


# --- the table itself ---------------------------------------------------------------------


def test_bundled_table_is_dated_and_sourced(table: PriceTable) -> None:
    assert table.checked == "2026-11-29"
    assert table.source
    assert table.us_only_multiplier == pytest.approx(1.1)
    assert table.web_search_per_1000 == pytest.approx(10.0)


def test_bundled_table_holds_exactly_the_spec_models(table: PriceTable) -> None:
    assert table.models == frozenset(SPEC_PRICES)


@pytest.mark.parametrize(("model", "expected"), sorted(SPEC_PRICES.items()))
def test_each_family_prices_each_token_kind(
    table: PriceTable, model: str, expected: tuple[float, ...]
) -> None:
    price = table.price_for(model)
    assert price is not None
    got = (price.input, price.cache_write_5m, price.cache_write_1h, price.cache_read, price.output)
    assert got == pytest.approx(expected)
    # Distinct counts per kind, so a kind priced at another kind's rate changes the total.
    e = entry(
        model,
        input_tokens=1,
        cache_5m_tokens=10,
        cache_1h_tokens=100,
        cache_read_tokens=1_000,
        output_tokens=10_000,
    )
    i, w5, w1, r, o = expected
    assert table.cost(e) == pytest.approx((i + 10 * w5 + 100 * w1 + 1_000 * r + 10_000 * o) / 1e6)


def test_a_plain_sonnet_response_in_dollars(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-5-20250929", input_tokens=1_000, output_tokens=500)
    assert table.cost(e) == pytest.approx(0.003 + 0.0075)


def test_haiku_3_write_price_is_the_listed_one_not_derived(table: PriceTable) -> None:
    # 1.25 × 0.25 would be 0.3125; the table says 0.30.
    assert table.cost(entry("claude-3-haiku", cache_5m_tokens=1_000_000)) == pytest.approx(0.30)


# --- model ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("claude-3-haiku-20240307", "claude-3-haiku"),
        ("anthropic/claude-opus-4-6", "claude-opus-4-6"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("Claude-Haiku-4-5", "claude-haiku-4-5"),
        ("<synthetic>", "<synthetic>"),
    ],
)
def test_normalize_model(raw: str, key: str) -> None:
    assert normalize_model(raw) == key


def test_date_suffix_matches_the_same_price(table: PriceTable) -> None:
    assert table.price_for("claude-sonnet-4-5-20250929") == table.price_for("claude-sonnet-4-5")
    assert table.price_for("claude-opus-4-20250514") == table.price_for("claude-3-opus")
    e = entry("claude-haiku-4-5-20251001", input_tokens=1_000_000)
    assert table.cost(e) == pytest.approx(1.0)


def test_price_lookup_is_exact_not_a_prefix_match(table: PriceTable) -> None:
    # `claude-opus-4` must not price a future `claude-opus-4-9` at Opus 4 rates.
    assert table.price_for("claude-opus-4-9") is None
    assert table.price_for("claude-sonnet-4-5-extra") is None


def test_repeated_lookups_hit_the_cache(table: PriceTable) -> None:
    first = table.price_for("claude-opus-4-7-20260101")
    assert first is not None
    assert table.price_for("claude-opus-4-7-20260101") is first


# --- cache writes -------------------------------------------------------------------------


def test_one_hour_writes_are_not_priced_as_five_minute_writes(table: PriceTable) -> None:
    one_hour = entry("claude-opus-4-6", cache_1h_tokens=1_000_000)
    five_min = entry("claude-opus-4-6", cache_5m_tokens=1_000_000)
    assert table.cost(one_hour) == pytest.approx(10.0)
    assert table.cost(five_min) == pytest.approx(6.25)


def test_mixed_writes_each_at_their_own_rate(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-6", cache_5m_tokens=200_000, cache_1h_tokens=100_000)
    assert table.cost(e) == pytest.approx(0.75 + 0.60)


# --- long context -------------------------------------------------------------------------


def long_request(model: str, input_tokens: int) -> Entry:
    """Input + 40k 5m writes + 10k 1h writes + 50k reads, 1,000 output tokens."""
    return entry(
        model,
        input_tokens=input_tokens,
        cache_5m_tokens=40_000,
        cache_1h_tokens=10_000,
        cache_read_tokens=50_000,
        output_tokens=1_000,
    )


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-sonnet-4-20250514"])
def test_long_context_exactly_200k_is_standard(table: PriceTable, model: str) -> None:
    # 100,000 + 40,000 + 10,000 + 50,000 = 200,000: not above the threshold.
    assert table.cost(long_request(model, 100_000)) == pytest.approx(
        0.30 + 0.15 + 0.06 + 0.015 + 0.015
    )


@pytest.mark.parametrize("model", ["claude-sonnet-4-5-20250929", "claude-sonnet-4"])
def test_long_context_above_200k_bills_all_tokens_at_premium(table: PriceTable, model: str) -> None:
    # 200,001 prompt tokens: every kind, output included, at 6 / 7.50 / 12 / 0.60 / 22.50.
    assert table.cost(long_request(model, 100_001)) == pytest.approx(
        0.600006 + 0.30 + 0.12 + 0.03 + 0.0225
    )


def test_output_tokens_do_not_count_towards_long_context(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-5", input_tokens=200_000, output_tokens=50_000)
    assert table.cost(e) == pytest.approx(0.60 + 0.75)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-sonnet-4-6", 0.600003),
        ("claude-opus-4-6", 1.000005),
        ("claude-3-7-sonnet", 0.600003),
    ],
)
def test_no_long_context_premium_for_newer_models(
    table: PriceTable, model: str, expected: float
) -> None:
    assert table.cost(entry(model, input_tokens=200_001)) == pytest.approx(expected)


# --- fast mode, US-only, web search -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-opus-4-6", 30.0),
        ("claude-opus-4-7-20260301", 30.0),
        ("claude-opus-4-8", 10.0),
        ("claude-opus-5", 10.0),
        ("claude-opus-4-5", 5.0),  # no fast mode: no multiplier
    ],
)
def test_fast_mode_multiplier(table: PriceTable, model: str, expected: float) -> None:
    e = entry(model, input_tokens=1_000_000, speed="fast")
    assert table.cost(e) == pytest.approx(expected)


def test_standard_speed_is_not_multiplied(table: PriceTable) -> None:
    e = entry("claude-opus-4-6", input_tokens=1_000_000, speed="standard")
    assert table.cost(e) == pytest.approx(5.0)


def test_us_only_inference_costs_ten_percent_more(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-6", input_tokens=1_000_000, output_tokens=100_000, geo="us")
    assert table.cost(e) == pytest.approx((3.0 + 1.5) * 1.1)
    assert table.cost(entry("claude-sonnet-4-6", input_tokens=1_000_000, geo="global")) == (
        pytest.approx(3.0)
    )


def test_fast_and_us_only_stack(table: PriceTable) -> None:
    e = entry("claude-opus-4-6", input_tokens=1_000_000, speed="fast", geo="us")
    assert table.cost(e) == pytest.approx(5.0 * 6 * 1.1)


def test_web_search_is_ten_dollars_per_thousand(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-5", web_search_requests=3)
    assert table.cost(e) == pytest.approx(0.03)


def test_multipliers_do_not_apply_to_web_search(table: PriceTable) -> None:
    # Web search is billed per request, apart from tokens: 33 for tokens + 10 for searches.
    e = entry(
        "claude-opus-4-6",
        input_tokens=1_000_000,
        web_search_requests=1_000,
        speed="fast",
        geo="us",
    )
    assert table.cost(e) == pytest.approx(33.0 + 10.0)


# --- costUSD and unknown models -----------------------------------------------------------


def test_cost_usd_from_the_transcript_is_preferred(table: PriceTable) -> None:
    e = entry("claude-sonnet-4-5", input_tokens=1_000_000, cost_usd=0.42)
    assert table.cost(e) == pytest.approx(0.42)
    assert table.cost(entry("claude-sonnet-4-5", input_tokens=1_000, cost_usd=0.0)) == 0.0
    assert table.cost(entry("some-unknown-model", cost_usd=1.5)) == pytest.approx(1.5)


@pytest.mark.parametrize("model", ["<synthetic>", "gpt-4o", "claude-opus-9", ""])
def test_unknown_model_cost_is_unknown_not_zero(table: PriceTable, model: str) -> None:
    assert table.price_for(model) is None
    assert table.cost(entry(model, input_tokens=1_000, output_tokens=10)) is None
    assert table.cost(entry(model)) is None


# --- user overrides -----------------------------------------------------------------------


def test_override_adds_a_new_model_with_derived_cache_prices(table: PriceTable) -> None:
    custom = table.with_overrides({"my-model": {"input": 2.0, "output": 8.0}})
    assert custom.price_for("my-model-20260101") == ModelPrice(2.0, 2.5, 4.0, 0.2, 8.0)
    e = entry("my-model", input_tokens=1_000_000, cache_1h_tokens=1_000_000, output_tokens=1_000)
    assert custom.cost(e) == pytest.approx(2.0 + 4.0 + 0.008)
    assert table.price_for("my-model") is None  # the bundled table is not changed


def test_override_keeps_explicit_cache_prices(table: PriceTable) -> None:
    custom = table.with_overrides(
        {"my-model": {"input": 2, "output": 8, "cache_write_1h": 3, "cache_read": 0.5}}
    )
    assert custom.price_for("my-model") == ModelPrice(2.0, 2.5, 3.0, 0.5, 8.0)


def test_override_replaces_part_of_a_bundled_price(table: PriceTable) -> None:
    # Caches follow the new input; output and the fast multiplier stay bundled.
    table.price_for("claude-opus-4-6")  # warm the bundled table's cache first
    custom = table.with_overrides({"claude-opus-4-6-20260101": {"input": 4.0}})
    price = custom.price_for("claude-opus-4-6")
    assert price is not None
    assert (price.input, price.cache_write_5m, price.cache_write_1h, price.cache_read) == (
        pytest.approx((4.0, 5.0, 8.0, 0.4))
    )
    assert price.output == pytest.approx(25.0)
    assert custom.cost(entry("claude-opus-4-6", input_tokens=1_000_000, speed="fast")) == (
        pytest.approx(24.0)
    )
    assert table.cost(entry("claude-opus-4-6", input_tokens=1_000_000)) == pytest.approx(5.0)
    # Opus 4.7 shared the family price and is untouched.
    assert custom.cost(entry("claude-opus-4-7", input_tokens=1_000_000)) == pytest.approx(5.0)


def test_override_of_output_only_keeps_the_rest_and_the_long_context_tier(
    table: PriceTable,
) -> None:
    custom = table.with_overrides({"claude-sonnet-4-5": {"output": 20}})
    assert custom.cost(entry("claude-sonnet-4-5", input_tokens=1_000, output_tokens=1_000)) == (
        pytest.approx(0.003 + 0.020)
    )
    premium = entry("claude-sonnet-4-5", input_tokens=200_001)
    assert custom.cost(premium) == pytest.approx(1.200006)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"claude-opus-4-6": {"inptu": 4}}, ["claude-opus-4-6", "inptu"]),
        ({"claude-opus-4-6": {"input": -1}}, ["claude-opus-4-6", "input"]),
        ({"claude-opus-4-6": {"input": "cheap"}}, ["claude-opus-4-6", "input"]),
        ({"claude-opus-4-6": {"output": True}}, ["claude-opus-4-6", "output"]),
        ({"claude-opus-4-6": {"output": float("nan")}}, ["claude-opus-4-6", "output"]),
        ({"new-model": {"input": 1}}, ["new-model", "output"]),
        ({"new-model": {"output": 1}}, ["new-model", "input"]),
        ({"new-model": 3}, ["new-model"]),
        ({"": {"input": 1, "output": 2}}, ["model id"]),
    ],
)
def test_bad_override_raises_naming_model_and_key(
    table: PriceTable, override: Any, words: list[str]
) -> None:
    with pytest.raises(ValueError) as raised:
        table.with_overrides(override)
    for word in words:
        assert word in str(raised.value)


# --- a bad bundled table ------------------------------------------------------------------


def broken(change: Any) -> dict[str, Any]:
    """A copy of the bundled data after `change(data)`."""
    data = copy.deepcopy(bundled_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (broken(lambda d: d.pop("checked")), "checked"),
        (broken(lambda d: d.update(checked="last tuesday")), "checked"),
        (broken(lambda d: d.update(source=5)), "source"),
        (broken(lambda d: d.pop("us_only_multiplier")), "us_only_multiplier"),
        (broken(lambda d: d.pop("web_search_per_1000")), "web_search_per_1000"),
        (broken(lambda d: d.update(families=[])), "families"),
        (broken(lambda d: d["families"][0].pop("output")), "output"),
        (broken(lambda d: d["families"][0].update(input="5")), "input"),
        (broken(lambda d: d["families"][0].update(cache_read=-0.5)), "cache_read"),
        (broken(lambda d: d["families"][0].update(models=[])), "models"),
        (broken(lambda d: d["families"][0].update(models=[7])), "model ids"),
        (broken(lambda d: d["families"][1]["models"].append("claude-opus-4-5")), "twice"),
        (broken(lambda d: d["families"][0].update(fast_multiplier=0)), "fast_multiplier"),
        (
            broken(lambda d: d["families"][4]["long_context"].update(above_tokens="200k")),
            "above_tokens",
        ),
        (broken(lambda d: d["families"][4]["long_context"].pop("output")), "long_context"),
        (broken(lambda d: d["families"].append("oops")), "family #11"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_bundled_mapping_raises_value_error(data: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        PriceTable.from_mapping(data)
