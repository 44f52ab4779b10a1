"""The plain table layout is rich's, byte for byte, with and without colour."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tray_app.cli.table import GAP, Col, Line, Output, _widths, fit, render, render_rich

ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
CELL = st.one_of(ASCII, st.lists(ASCII, max_size=3))
KINDS = st.sampled_from(["", "total", "group", "sub", "gap", "active"])


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[Col], list[Line], Output]:
    count = draw(st.integers(1, 6))
    cols = [
        Col(draw(ASCII), right=draw(st.booleans()), drop=draw(st.integers(0, 2)),
            compact=draw(st.booleans()), models=draw(st.booleans()))
        for _ in range(count)
    ]  # fmt: skip
    rows = [
        Line(draw(st.lists(CELL, min_size=count, max_size=count)), draw(KINDS))
        for _ in range(draw(st.integers(0, 5)))
    ]
    out = Output(width=draw(st.integers(20, 140)), color=draw(st.booleans()),
                 compact=draw(st.booleans()))  # fmt: skip
    return cols, rows, out


@settings(max_examples=400, deadline=None)
@given(tables())
def test_plain_layout_is_richs(table: tuple[list[Col], list[Line], Output]) -> None:
    cols, rows, out = table
    use_cols, use_rows = fit(cols, rows, out)
    widths = _widths(use_cols, use_rows)
    assert render(cols, rows, out) == render_rich(use_cols, use_rows, widths, out)


def test_a_report_table_in_colour() -> None:
    cols = [Col("Date", right=False), Col("Models", right=False), Col("Cost")]
    rows = [
        Line(["2025-11-29", ["opus-4-6", "sonnet-4-5"], "$2.00"]),
        Line(["Total", "", "$1.00"], "total"),
    ]
    text = render(cols, rows, Output(width=80, color=True)).split("\n")
    assert text[0] == (
        "\x1b[1mDate      \x1b[0m\x1b[1m \x1b[0m \x1b[1mModels    \x1b[0m\x1b[1m \x1b[0m "
        "\x1b[1m Cost\x1b[0m"
    )
    assert text[1] == "\u2500" * (10 + 10 + 5 + 2 * GAP)
    assert text[2:4] == ["2025-11-29  opus-4-6    $2.00", "            sonnet-4-5"]
    assert text[4].startswith("\x1b[1mTotal     \x1b[0m")


def test_wide_or_overflowing_tables_still_go_through_rich() -> None:
    cols = [Col("Name", right=False), Col("N")]
    wide = render(cols, [Line(["\u8a9e\u8a9e", "1"])], Output(width=80))
    assert wide.split("\n")[2] == "\u8a9e\u8a9e  1"  # two columns per character
    narrow = render([Col("A" * 30, right=False), Col("B" * 30)], [], Output(width=40))
    assert "\u2026" in narrow  # rich's ellipsis when nothing more can be dropped
