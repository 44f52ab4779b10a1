"""Tooltip and header text: exact strings, and dropping whole lines to fit."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

import pytest

from tests.ui.factories import NOW, block_view, idle, session, snapshot
from tray_app.service.snapshot import LimitSource
from tray_app.ui.tooltip import WINDOWS_MAX, header_lines, tooltip_text

FULL = [
    "Block: 1.3M tok · 63% of p90 (2M)",
    "Resets 03:00 (in 3 h)",
    "Burn: 12k tok/min · $4.20/h",
    "Projected: 2.1M tok · $12.34",
    "Session (auto): refactor parser · 320k tok · $1.23",
]


def test_full_tooltip() -> None:
    assert tooltip_text(snapshot(), NOW, UTC) == "\n".join(FULL)
    assert header_lines(snapshot(), NOW, UTC) == FULL


def test_local_clock_and_live_countdown() -> None:
    berlin = timezone(timedelta(hours=1))
    lines = header_lines(snapshot(), NOW + 72 * 60 + 30, berlin)
    assert lines[1] == "Resets 04:00 (in 1 h 47 min)"


@pytest.mark.parametrize(
    ("source", "limit", "text"),
    [
        ("max", 2_000_000, "Block: 1.3M tok · 63% of max of past blocks (2M)"),
        ("p90", 1_500_000, "Block: 945k tok · 63% of p90 (1.5M)"),
        ("custom", 3_000_000, "Block: 1.9M tok · 63% of custom limit (3M)"),
        ("official", None, "Block: 1.3M tok · 63% of official limit"),
    ],
)
def test_limit_source_is_named(source: LimitSource, limit: int | None, text: str) -> None:
    snap = snapshot(active_block=block_view(63.0, source=source, limit=limit))
    assert header_lines(snap, NOW, UTC)[0] == text


def test_no_limit_yet_and_unknown_cost() -> None:
    snap = snapshot(
        active_block=block_view(None, source="none", limit=None),
        tracked_session=session(cost=None),
        tracking_auto=False,
    )
    lines = header_lines(snap, NOW, UTC)
    assert lines[0] == "Block: 600k tok · no limit yet"
    assert lines[-1] == "Session: webapp · 01234567 · 320k tok · unpriced"


def test_other_states() -> None:
    assert tooltip_text(None, NOW, UTC) == "Token Monitor: starting…"
    assert tooltip_text(snapshot(status="no_data"), NOW, UTC) == "No Claude Code usage found yet"
    err = snapshot(status="error", error="cannot read /home/u/.claude")
    assert tooltip_text(err, NOW, UTC) == "Error: cannot read /home/u/.claude"
    # Last use on an earlier day carries its date; the same day only the time.
    assert header_lines(idle(tracked_session=None), NOW, UTC) == [
        "No active block · last use 31 Dec 23:59"
    ]
    later_same_day = idle(tracked_session=None).last_update + 30  # type: ignore[operator]
    assert header_lines(idle(tracked_session=None), later_same_day, UTC) == [
        "No active block · last use 23:59"
    ]


def test_windows_limit_drops_whole_lines_in_priority_order() -> None:
    text = tooltip_text(snapshot(), NOW, UTC, max_len=WINDOWS_MAX)
    assert len(text) <= WINDOWS_MAX
    # Projection goes first, then burn rate; block, reset and session stay whole.
    assert text.split("\n") == [FULL[0], FULL[1], FULL[4]]
    assert tooltip_text(snapshot(), NOW, UTC, max_len=60).split("\n") == FULL[:2]
    assert tooltip_text(snapshot(), NOW, UTC, max_len=len(FULL[0])) == FULL[0]


@pytest.mark.parametrize("max_len", range(40, 200, 7))
def test_every_kept_line_is_whole(max_len: int) -> None:
    text = tooltip_text(snapshot(), NOW, UTC, max_len=max_len)
    assert len(text) <= max_len
    assert all(line in FULL for line in text.split("\n"))


def test_a_lone_long_line_is_cut_between_words() -> None:
    err = snapshot(status="error", error="permission denied while reading the projects folder")
    assert tooltip_text(err, NOW, UTC, max_len=30) == "Error: permission denied…"
