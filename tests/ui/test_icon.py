"""Icon rendering: looks per state, gauge fill, colours at the thresholds, sizes."""

from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image

from tests.ui.factories import block_view, idle, snapshot
from tray_app.ui.icon import (
    DEFAULT_COLORS,
    SMALL,
    Gauge,
    gauge_for,
    level_for,
    render_icon,
)

SIZES = (16, 22, 32, 64)
GREEN, YELLOW, AMBER, RED = DEFAULT_COLORS.levels


def pixels(img: Image.Image) -> list[tuple[int, ...]]:
    """RGBA pixels row by row (works on every pillow ≥ 10)."""
    raw = img.convert("RGBA").tobytes()
    return [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def count(img: Image.Image, color: tuple[int, int, int, int]) -> int:
    """Pixels of exactly `color`."""
    return Counter(pixels(img))[color]


def whiteish(img: Image.Image) -> int:
    """Opaque light pixels (antialiased small text never hits pure white)."""
    return sum(1 for r, g, b, a in pixels(img) if a == 255 and min(r, g, b) >= 200)


def bar_fill(img: Image.Image, color: tuple[int, int, int, int]) -> float:
    """Filled share of the gauge: horizontal bar at 20 px and up, vertical fill below."""
    size = img.width
    margin = max(2, round(size * 0.09))
    grid = pixels(img)
    inner = range(margin, size - margin)
    vertical = size < SMALL
    best = 0.0
    for a in inner:
        cells = [grid[b * size + a] if vertical else grid[a * size + b] for b in inner]
        filled, empty = cells.count(color), cells.count(DEFAULT_COLORS.track)
        if filled + empty == len(cells):  # a line through the gauge and nothing else
            best = max(best, filled / len(cells))
    return best


@pytest.mark.parametrize(
    ("value", "level"), [(0, 0), (49.9, 0), (50, 1), (79, 1), (80, 2), (94.9, 2), (95, 3), (300, 3)]
)
def test_levels_at_default_thresholds(value: float, level: int) -> None:
    assert level_for(value, (50, 80, 95)) == level


def test_levels_with_fewer_thresholds_keep_amber_below_red() -> None:
    assert [level_for(v, (80, 95)) for v in (10, 85, 96)] == [0, 2, 3]
    assert [level_for(v, (90,)) for v in (10, 95)] == [0, 3]


def test_gauge_per_state() -> None:
    assert gauge_for(None).look == "starting"
    assert gauge_for(snapshot(status="error", error="x")) == Gauge("error", 0.0, 0, "!")
    assert gauge_for(snapshot(status="no_data")) == Gauge("no_data", 0.0, 0, "?")
    assert gauge_for(idle()) == Gauge("idle", 0.0, 0, "idle")
    assert gauge_for(snapshot(30)) == Gauge("active", 0.3, 0, "30%")
    assert gauge_for(snapshot(85)) == Gauge("active", 0.85, 2, "85%")
    assert gauge_for(snapshot(97)) == Gauge("near", 0.97, 3, "97%")
    assert gauge_for(snapshot(110)) == Gauge("over", 1.0, 3, "110%")
    no_limit = snapshot(active_block=block_view(None, source="none", limit=None))
    assert gauge_for(no_limit) == Gauge("active", 0.0, 0, "600k")
    # Custom thresholds move the colours.
    assert gauge_for(snapshot(85), (90, 99)).level == 0


@pytest.mark.parametrize("size", SIZES)
def test_bar_colour_and_fill_follow_usage(size: int) -> None:
    for pct, color in ((30, GREEN), (60, YELLOW), (85, AMBER), (97, RED)):
        img = render_icon(snapshot(pct), size)
        assert img.size == (size, size) and img.mode == "RGBA"
        assert count(img, color) > 0, (pct, size)
        inside = size - 2 * max(2, round(size * 0.09))
        assert bar_fill(img, color) == pytest.approx(pct / 100, abs=1 / inside + 0.01)


@pytest.mark.parametrize("size", SIZES)
def test_over_limit_turns_the_whole_icon_red(size: int) -> None:
    img = render_icon(snapshot(110), size)
    share = count(img, DEFAULT_COLORS.over) / (size * size)
    assert share > 0.3
    assert count(render_icon(snapshot(85), size), DEFAULT_COLORS.over) == 0


@pytest.mark.parametrize("size", SIZES)
def test_every_look_is_distinct(size: int) -> None:
    snaps = [
        None,
        snapshot(status="no_data"),
        snapshot(status="error", error="x"),
        idle(),
        snapshot(30),
        snapshot(97),
        snapshot(110),
    ]
    images = [render_icon(s, size).tobytes() for s in snaps]
    assert len(set(images)) == len(images)


def test_error_is_drawn_in_the_error_colour() -> None:
    img = render_icon(snapshot(status="error", error="x"), 64)
    assert count(img, DEFAULT_COLORS.error) > 64
    assert count(img, DEFAULT_COLORS.track) == 0  # no gauge: it is not a usage figure


def test_number_only_where_it_fits() -> None:
    # Light text pixels appear at 22 px and up; 16 px shows the gauge alone.
    assert whiteish(render_icon(snapshot(30), 16)) == 0
    assert whiteish(render_icon(snapshot(30), 22)) > 10
    assert whiteish(render_icon(snapshot(30), 64)) > 150


def test_drawn_natively_not_scaled() -> None:
    # Hard edges, no resampling blur: a 16 px gauge uses only its palette colours.
    small = render_icon(snapshot(30), 16)
    assert set(pixels(small)) <= {
        (0, 0, 0, 0),
        DEFAULT_COLORS.background,
        DEFAULT_COLORS.track,
        GREEN,
    }
