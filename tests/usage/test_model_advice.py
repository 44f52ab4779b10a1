"""Model advice: cost per model, re-priced cost, limit pressure and the ranked suggestion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.model import Entry
from tray_app.usage.model_advice import Pressure, advise, repriced_cost
from tray_app.usage.model_select import DEFAULT_PROFILES
from tray_app.usage.pricing import ModelPrice, PriceTable

OPUS = ModelPrice(5, 6.25, 10, 0.5, 25)
SONNET = ModelPrice(2, 2.5, 4, 0.2, 10)
HAIKU = ModelPrice(1, 1.25, 2, 0.1, 5)
TABLE = PriceTable(
    {"claude-opus-5": OPUS, "claude-sonnet-5-5": SONNET, "claude-haiku-4-5": HAIKU},
    checked="2026-11-29",
)
TIGHT = Pressure(93.0, 3, 10, 1, (), True)
ROOMY = Pressure(35.0, 0, 10, 0, (), True)


def opus(i: int, out: int = 1_000_000, read: int = 0, inp: int = 0) -> Entry:
    return Entry(f"k{i}", float(i), "s", "claude-opus-5", inp, out, 0, 0, read)


def test_cost_per_model_and_cache_hits() -> None:
    entries = [opus(1, read=900_000, inp=100_000), Entry("m", 2.0, "s", "claude-mystery-1", 5)]
    a = advise(entries, TABLE.cost, TABLE, DEFAULT_PROFILES, ROOMY, 7)
    by = {m.model: m for m in a.models}
    assert by["claude-opus-5"].cost_usd == pytest.approx(0.5 + 0.45 + 25)
    assert by["claude-opus-5"].cache_hit == pytest.approx(0.9)
    assert (by["claude-mystery-1"].unpriced, by["claude-mystery-1"].cost_usd) == (1, 0.0)
    assert a.unpriced == 1  # never a silent $0: counted as unpriced


def test_the_same_usage_re_priced_under_each_model() -> None:
    a = advise([opus(1)], TABLE.cost, TABLE, DEFAULT_PROFILES, ROOMY, 7)
    assert {r.alias: r.cost_usd for r in a.repriced} == pytest.approx(
        {"opus": 25.0, "sonnet": 10.0, "haiku": 5.0}
    )  # fable is not in this table: left out, not $0


def test_near_the_limit_balanced_comes_first_with_a_plain_reason() -> None:
    a = advise([opus(1)], TABLE.cost, TABLE, DEFAULT_PROFILES, TIGHT, 7)
    assert [s.profile for s in a.suggestions] == ["balanced", "cheap", "best"]
    first = a.suggestions[0]
    assert first.value == "sonnet" and first.cost_usd == pytest.approx(10.0)
    assert first.reason.startswith(
        "In the last 7 days you hit a limit 1 time and your fullest 5-hour block reached 93 %"
        " of your limit. On Sonnet"
    )
    assert "$10.00 instead of $25.00 (60 % less)" in first.reason


def test_with_room_to_spare_best_comes_first() -> None:
    a = advise([opus(1, read=10)], TABLE.cost, TABLE, DEFAULT_PROFILES, ROOMY, 30)
    assert [s.profile for s in a.suggestions] == ["best", "balanced", "cheap"]
    assert "room for Opus" in a.suggestions[0].reason


def test_low_cache_reuse_adds_advice_on_when_to_switch() -> None:
    a = advise([opus(1, inp=1000, read=10)], TABLE.cost, TABLE, DEFAULT_PROFILES, TIGHT, 7)
    assert "between sessions" in a.suggestions[0].reason


def test_no_usage_means_no_suggestion() -> None:
    a = advise([], TABLE.cost, TABLE, DEFAULT_PROFILES, Pressure(None, 0, 0, 0), 7)
    assert a.suggestions == () and a.cost_usd == 0 and a.cache_hit is None


tokens = st.integers(min_value=0, max_value=10_000_000)


@given(st.lists(st.tuples(tokens, tokens, tokens, tokens), max_size=20))
def test_re_pricing_orders_models_by_their_rates(rows: list[tuple[int, int, int, int]]) -> None:
    entries = [
        Entry(f"k{i}", 0.0, "s", "claude-opus-5", a, b, c, 0, d)
        for i, (a, b, c, d) in enumerate(rows)
    ]
    o, s, h = (repriced_cost(entries, p, TABLE) for p in (OPUS, SONNET, HAIKU))
    assert o >= s >= h >= 0
    assert o == pytest.approx(sum(TABLE.cost(e) or 0 for e in entries))


def test_a_guessed_limit_is_no_evidence_either_way() -> None:
    guessed = Pressure(100.0, 1, 1, 0, (), False)  # "max": the fullest block is 100 % of it
    a = advise([opus(1)], TABLE.cost, TABLE, DEFAULT_PROFILES, guessed, 7)
    assert a.suggestions[0].profile == "best"
    assert a.suggestions[0].reason.startswith("In the last 7 days no limit was reached: room")


def test_claude_codes_own_figure_makes_it_tight() -> None:
    official = Pressure(None, 0, 3, 0, (("seven_day_opus", 84.0),), False)
    a = advise([opus(1)], TABLE.cost, TABLE, DEFAULT_PROFILES, official, 7)
    assert a.suggestions[0].profile == "balanced"
    assert "Claude Code says you are at weekly Opus 84 %" in a.suggestions[0].reason
