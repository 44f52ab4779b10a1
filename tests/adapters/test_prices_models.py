"""The bundled price table covers the current models, dated, and never prices the unknown."""

from __future__ import annotations

from datetime import date

import pytest

from tray_app.adapters.prices import bundled_price_table
from tray_app.usage.model import Entry
from tray_app.usage.model_select import ALIAS_PRICED_AS

# (input, 5-minute write, 1-hour write, cache read, output) in USD per million tokens.
CURRENT = {
    "claude-opus-4-5": (5, 6.25, 10, 0.5, 25),
    "claude-opus-4-6": (5, 6.25, 10, 0.5, 25),
    "claude-opus-4-7": (5, 6.25, 10, 0.5, 25),
    "claude-opus-4-8": (5, 6.25, 10, 0.5, 25),
    "claude-opus-5": (5, 6.25, 10, 0.5, 25),
    "claude-sonnet-4-5-20250929": (3, 3.75, 6, 0.3, 15),
    "claude-sonnet-4-6": (3, 3.75, 6, 0.3, 15),
    "claude-sonnet-5": (2, 2.5, 4, 0.2, 10),
    "claude-sonnet-5-5": (2, 2.5, 4, 0.2, 10),
    "claude-haiku-4-5-20251001": (1, 1.25, 2, 0.1, 5),
    "claude-fable-5": (10, 12.5, 20, 1, 50),
}


@pytest.mark.parametrize(("model", "rates"), CURRENT.items())
def test_current_models_have_their_documented_prices(model: str, rates: tuple[float, ...]) -> None:
    price = bundled_price_table().price_for(model)
    assert price is not None
    got = (price.input, price.cache_write_5m, price.cache_write_1h, price.cache_read, price.output)
    assert got == rates


def test_five_minute_and_one_hour_cache_writes_cost_differently() -> None:
    table = bundled_price_table()
    five = Entry("a", 0.0, "s", "claude-sonnet-5", cache_5m_tokens=1_000_000)
    hour = Entry("b", 0.0, "s", "claude-sonnet-5", cache_1h_tokens=1_000_000)
    assert (table.cost(five), table.cost(hour)) == (2.5, 4.0)


def test_the_table_is_dated_and_an_unknown_model_has_no_price() -> None:
    table = bundled_price_table()
    assert date.fromisoformat(table.checked) >= date(2026, 11, 29)
    assert table.cost(Entry("c", 0.0, "s", "claude-nova-9", output_tokens=10)) is None


def test_every_alias_used_for_re_pricing_is_in_the_table() -> None:
    table = bundled_price_table()
    assert all(table.price_for(model) is not None for model in ALIAS_PRICED_AS.values())
