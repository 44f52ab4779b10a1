"""Short human text for numbers, durations, money and percentages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage import formatting as f


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (812, "812"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.2k"),
        (9_949, "9.9k"),
        (9_960, "10k"),
        (63_400, "63k"),
        (999_499, "999k"),
        (999_950, "1M"),
        (1_234_567, "1.2M"),
        (2_000_000, "2M"),
        (15_400_000, "15M"),
        (2_100_000_000, "2.1B"),
        (-1234, "-1.2k"),
        (812.6, "813"),
    ],
)
def test_compact(n: float, text: str) -> None:
    assert f.compact(n) == text


@given(st.integers(min_value=0, max_value=10**13))
def test_compact_is_short(n: int) -> None:
    text = f.compact(n)
    assert len(text) <= 5
    assert "1000" not in text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500000", 500_000),
        ("500 000", 500_000),
        ("500,000", 500_000),
        ("1,500,000", 1_500_000),
        ("1.5M", 1_500_000),
        ("1,5m", 1_500_000),
        ("500k", 500_000),
        (" 2 B ", 2_000_000_000),
        ("0", None),
        ("", None),
        ("lots", None),
        ("-5k", None),
        ("5 tokens", None),
    ],
)
def test_parse_tokens(text: str, value: int | None) -> None:
    assert f.parse_tokens(text) == value


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0 min"),
        (0, "0 min"),
        (59, "<1 min"),
        (60, "1 min"),
        (45 * 60 + 59, "45 min"),
        (3600, "1 h"),
        (3600 + 12 * 60 + 30, "1 h 12 min"),
        (5 * 3600, "5 h"),
        (86400, "1 d"),
        (2 * 86400 + 3 * 3600 + 59, "2 d 3 h"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert f.duration(seconds) == text


@pytest.mark.parametrize(
    ("usd", "text"),
    [(None, "—"), (0, "$0.00"), (1.234, "$1.23"), (1234.5, "$1,234.50"), (-2, "-$2.00")],
)
def test_money(usd: float | None, text: str) -> None:
    assert f.money(usd) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (0, "0%"), (0.4, "<1%"), (62.5, "63%"), (63.4, "63%"), (110.2, "110%")],
)
def test_percent(value: float | None, text: str) -> None:
    assert f.percent(value) == text


def test_rates() -> None:
    assert f.per_minute(12_345) == "12k tok/min"
    assert f.per_minute(None) == "—"
    assert f.per_hour(4.2) == "$4.20/h"
    assert f.per_hour(None) == "—"


def test_latin1_for_x11_window_names() -> None:
    text = f.latin1("Token Monitor: starting… — 63% · 1.2M ✓")
    assert text == "Token Monitor: starting... - 63% · 1.2M ?"
    assert text.encode("latin-1")
