"""The tray with official figures: icon picks the fuller window, tooltip/menu show both."""

from __future__ import annotations

from datetime import UTC

from tests.ui.factories import NOW, block_view, idle, snapshot
from tray_app.service.snapshot import Snapshot
from tray_app.ui.icon import DEFAULT_COLORS, gauge_for, render_icon
from tray_app.ui.menu import UiState, build_menu
from tray_app.ui.tooltip import tooltip_text
from tray_app.usage.limits import Limit

FIVE = Limit(None, "official", "five_hour", 40.0, NOW - 120, NOW + 3 * 3600)
WEEK = Limit(None, "official", "seven_day", 85.0, NOW - 120, NOW + 2 * 86400 + 3600)


def official(five_pct: float = 40.0, week: Limit = WEEK) -> Snapshot:
    view = block_view(five_pct, "official", None)
    five = Limit(None, "official", "five_hour", five_pct, NOW - 120, NOW + 3 * 3600)
    return snapshot(five_pct, active_block=view, limits=(five, week))


def test_icon_shows_the_weekly_window_when_it_is_fuller() -> None:
    gauge = gauge_for(official(40.0))
    assert (gauge.label, gauge.window, gauge.look) == ("85%", "seven_day", "active")
    gauge = gauge_for(official(92.0))
    assert (gauge.label, gauge.window) == ("92%", "five_hour")


def test_weekly_bar_is_drawn_in_seven_parts() -> None:
    week = render_icon(official(40.0), 64)
    five = render_icon(
        official(90.0, Limit(None, "official", "seven_day", 10.0, NOW, NOW + 9e4)), 64
    )
    row = 64 - 8  # inside the bar

    def cuts(img: object) -> int:  # background-coloured columns across the bar
        return sum(img.getpixel((x, row)) == DEFAULT_COLORS.background for x in range(7, 57))  # type: ignore[attr-defined]

    assert cuts(week) == 6 * 2 and cuts(five) == 0  # six cuts, 2 px wide at 64 px


def test_tooltip_and_menu_header_name_the_source_age_and_both_windows() -> None:
    text = tooltip_text(official(40.0), NOW, UTC)
    lines = text.splitlines()
    assert lines[0].endswith("· 40% of 5-hour (official · 2 min ago)")
    assert "Weekly: 85% (official · 2 min ago) · resets Sat 01:00 (in 2 d 1 h)" in lines
    menu = build_menu(official(40.0), UiState("max", None, True, False), NOW, UTC)
    headers = [e.text for e in menu if e.kind == "label"]
    assert headers[0] == lines[0] and "Weekly: 85%" in " ".join(headers)


def test_estimated_figure_says_so() -> None:
    est = Limit(None, "official", "seven_day", 86.5, NOW - 240, NOW + 86400, True)
    text = tooltip_text(official(40.0, est), NOW, UTC)
    assert "Weekly: 87% (official (estimated) · 4 min ago)" in text


def test_fallback_keeps_the_old_wording() -> None:
    snap = snapshot(63.0)
    assert "63% of p90" in tooltip_text(snap, NOW, UTC)
    assert gauge_for(snap).window == "five_hour"


def test_idle_icon_shows_a_known_weekly_figure() -> None:
    quiet = idle(limits=(Limit(None, "max", "five_hour"), WEEK))
    gauge = gauge_for(quiet)
    assert (gauge.look, gauge.label, gauge.window) == ("active", "85%", "seven_day")
    assert gauge_for(idle()).look == "idle"  # nothing official: the idle look as before
    assert "Weekly: 85%" in tooltip_text(quiet, NOW, UTC)
